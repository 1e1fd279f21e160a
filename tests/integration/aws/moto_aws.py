"""moto in server mode, made to answer like AWS where the amazon.aws modules depend on it.

Run as ``python moto_aws.py PORT``: serves every moto backend on 127.0.0.1:PORT until killed.

The one difference from a plain ``moto_server``: AWS Backup's DescribeBackupVault answers
AccessDeniedException for a vault that does not exist (documented AWS behaviour, see
aws/aws-sdk-js#2625; amazon.aws.backup_vault relies on it, see ansible-collections/amazon.aws#1436),
while moto 5.2.5 answers ResourceNotFoundException, which makes amazon.aws.backup_vault fail
before it can create the vault.

EC2 DescribeVolumes answers ``SnapshotId: ""`` for a volume not made from a snapshot; moto 5.2.5
leaves the key out, and amazon.aws.ec2_vol_info (used by playbooks/aws_decommission.yml) reads it
unconditionally ('snapshot_id' KeyError).

AWS managed IAM policies (the DLM and AWS Backup service-role policies the role attaches) are
loaded, as they exist in every real account (MOTO_IAM_LOAD_MANAGED_POLICIES).
"""

from __future__ import annotations

import os
import sys
import threading

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

# pylint: disable=wrong-import-position
from moto.backup import models as backup_models
from moto.core.exceptions import JsonRESTError
from moto.ec2.models import elastic_block_store
from moto.server import ThreadedMotoServer


class _VaultAccessDenied(JsonRESTError):
    code = 403

    def __init__(self) -> None:
        super().__init__("AccessDeniedException", "Insufficient privileges to perform this action.")


def _patch_backup() -> None:
    original = backup_models.BackupBackend.describe_backup_vault

    def describe_backup_vault(self, backup_vault_name):
        if backup_vault_name not in self.vaults:
            raise _VaultAccessDenied()
        return original(self, backup_vault_name)

    backup_models.BackupBackend.describe_backup_vault = describe_backup_vault


def _patch_volume_snapshot_id() -> None:
    original = elastic_block_store.Volume.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.snapshot_id is None:
            self.snapshot_id = ""

    elastic_block_store.Volume.__init__ = __init__


def main(port: int) -> None:
    _patch_backup()
    _patch_volume_snapshot_id()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"moto listening on 127.0.0.1:{port}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(int(sys.argv[1]))
