"""playbooks/aws_provision.yml against moto in server mode on 127.0.0.1.

The module fixture starts moto (tests/integration/aws/moto_aws.py) on a free port and stops it at
the end. Order matters and pytest keeps the file order:
  1. bad inputs (run concurrently on an empty moto): each fails, names its variable, creates nothing;
  2. the playbook runs twice; the second run must report changed=0;
  3. boto3 checks what was built; the aws_ec2 inventory example lists the instance in its groups;
  4. check mode: on the new site before 2. (rc=0, nothing created), on the converged account (changed=0),
     then after drift made by hand (a volume tag, bucket versioning, a new retention: reported, not fixed);
  5. the data volumes follow the declaration: /home grows in place (same VolumeId) and a second volume is
     added, the drift of 4. is restored; a shrink is refused with changed=0, naming the volume;
  6. a type change is refused without aws_instance_allow_resize and applied with it (same instance,
     same volumes, a third data volume added); in the same run aws_snapshot_engine=dlm creates the DLM
     role and reaches the DLM API, which moto answers with HTTP 500 (the module and its check mode are
     covered by Stubber unit tests, as are DLM and AWS Backup selections, which moto does not serve);
  7. playbooks/aws_decommission.yml: refused unless named (and confirmed for a purge); terminates and keeps
     the data volumes, snapshots and bucket; then purges them when confirmed.
No real AWS: fake credentials, every call goes to the moto endpoint.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PLAYBOOK = REPO / "playbooks" / "aws_provision.yml"
INVENTORY = HERE / "inventory.yml"
EC2_INVENTORY_EXAMPLE = REPO / "inventories" / "example" / "aws_ec2.yml"
VENV_BIN = Path(sys.executable).parent
REGION = "us-east-1"

with INVENTORY.open() as f:
    VARS = yaml.safe_load(f)["all"]["vars"]
NAME = f"ipacs-{VARS['aws_instance_ipacs_name']}"
BUCKET = VARS["aws_instance_backup_bucket_name"]
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
TIMINGS: dict[str, float] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(HERE / "moto_aws.py"), str(port)], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    # moto imports every backend: slow on a loaded machine
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"moto did not listen on {url}: {log.read_text()}")
    yield url
    proc.terminate()
    proc.wait(timeout=15)
    if TIMINGS:
        print("\nansible run times (s): " + ", ".join(f"{k}={v:.1f}" for k, v in TIMINGS.items()))


@pytest.fixture(scope="module")
def env(moto, tmp_path_factory):
    home = tmp_path_factory.mktemp("awshome")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    environ.update(
        PATH=f"{VENV_BIN}:{environ.get('PATH', '')}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        # never read a real profile from this machine
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".cache" / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_DEPRECATION_WARNINGS="0",
    )
    return environ


@pytest.fixture(scope="module")
def aws(moto):
    def client(service):
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=moto,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


def _cmd(moto, extra_vars=None, check=False, playbook=PLAYBOOK):
    cmd = [str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", str(INVENTORY), "-e", f"aws_endpoint_url={moto}"]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd += ["--check", "--diff"]
    return cmd


def run_playbook(moto, env, label, extra_vars=None, check=False, playbook=PLAYBOOK):
    start = time.monotonic()
    proc = subprocess.run(
        _cmd(moto, extra_vars, check, playbook), env=env, cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    TIMINGS[label] = time.monotonic() - start
    return proc


def recap(proc):
    match = RECAP.search(proc.stdout)
    assert match, proc.stdout[-3000:] + proc.stderr[-3000:]
    ok, changed, unreachable, failed = map(int, match.groups())
    return {"ok": ok, "changed": changed, "unreachable": unreachable, "failed": failed}


def _plain(value):
    """ansible-inventory --list marks strings from the cloud as unsafe: {"__ansible_unsafe": "..."}."""
    return value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value


def resources_created(aws):
    """Everything the role could have created, as {kind: [names]}; empty on a fresh moto."""
    ec2 = aws("ec2")
    instances = [
        i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    ]
    groups = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"]
    volumes = [v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]]
    buckets = [b["Name"] for b in aws("s3").list_buckets().get("Buckets", [])]
    roles = [r["RoleName"] for r in aws("iam").list_roles()["Roles"] if r["RoleName"].startswith(NAME)]
    profiles = [p["InstanceProfileName"] for p in aws("iam").list_instance_profiles()["InstanceProfiles"]]
    vaults = [v["BackupVaultName"] for v in aws("backup").list_backup_vaults()["BackupVaultList"]]
    plans = [p["BackupPlanName"] for p in aws("backup").list_backup_plans()["BackupPlansList"]]
    found = dict(
        instances=instances, groups=groups, volumes=volumes, buckets=buckets,
        roles=roles, profiles=profiles, vaults=vaults, plans=plans,
    )
    return {kind: names for kind, names in found.items() if names}


# --- 1. bad input fails before any change ------------------------------------------------------

BAD_INPUTS = {
    "type_outside_family": ({"aws_instance_type": "t3.large"}, "aws_instance_type"),
    "any_source_without_flag": ({"aws_instance_allowed_cidrs": ["192.0.2.0/24", "0.0.0.0/0"]}, "aws_instance_allow_any_source"),
    "not_a_cidr": ({"aws_instance_allowed_cidrs": ["192.0.2.0/33"]}, "aws_instance_allowed_cidrs"),
    "retention_zero": ({"aws_instance_snapshot_retention_count": 0}, "aws_instance_snapshot_retention_count"),
    "time_malformed": ({"aws_instance_snapshot_time_utc": "3am"}, "aws_instance_snapshot_time_utc"),
    "cidrs_as_string": ({"aws_instance_allowed_cidrs": "10.40.0.0/16"}, "aws_instance_allowed_cidrs must be a list of CIDRs"),
    "home_volume_too_small": (
        {"aws_instance_data_volumes": [{"name": "home", "device_name": "/dev/sdf", "size": 100, "mount_point": "/home"}]},
        "aws_instance_data_volumes",
    ),
}


@pytest.fixture(scope="module")
def bad_runs(moto, env, aws):
    assert resources_created(aws) == {}, "moto must start empty"
    start = time.monotonic()
    procs = {
        case: subprocess.Popen(
            _cmd(moto, extra), env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for case, (extra, _variable) in BAD_INPUTS.items()
    }
    results = {case: (proc.communicate(timeout=300)[0], proc.returncode) for case, proc in procs.items()}
    TIMINGS["bad_inputs_concurrent"] = time.monotonic() - start
    return results


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_naming_the_variable(bad_runs, case):
    output, rc = bad_runs[case]
    variable = BAD_INPUTS[case][1]
    assert rc != 0, output[-2000:]
    failed = [line for line in output.splitlines() if "FAILED!" in line or "[ERROR]" in line]
    assert failed and any(variable in line for line in failed), output[-3000:]
    # it failed in validation: no AWS task ran, so nothing could change
    assert "Find the instance by its Name tag" not in output, output[-3000:]


def test_bad_input_created_nothing(bad_runs, aws):
    assert resources_created(aws) == {}


# --- 2. check mode on a new site, then provision twice -------------------------------------------

@pytest.fixture(scope="module")
def check_new_site(moto, env, bad_runs):
    return run_playbook(moto, env, "check_new_site", check=True)


def test_check_mode_on_a_new_site_reports_and_creates_nothing(check_new_site, aws):
    proc = check_new_site
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    assert recap(proc)["changed"] > 0
    assert f"would launch {NAME} (m5.xlarge" in proc.stdout
    assert f"would create bucket {BUCKET}" in proc.stdout
    assert resources_created(aws) == {}


@pytest.fixture(scope="module")
def provisioned(moto, env, check_new_site):
    first = run_playbook(moto, env, "first_run")
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-3000:]
    second = run_playbook(moto, env, "second_run")
    assert second.returncode == 0, second.stdout[-5000:] + second.stderr[-3000:]
    return first, second


def test_second_run_changes_nothing(provisioned):
    first, second = provisioned
    assert recap(first)["changed"] > 0
    assert recap(second)["changed"] == 0, second.stdout[-5000:]


# --- 3. what was built ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def instance(provisioned, aws):
    reservations = aws("ec2").describe_instances(
        Filters=[{"Name": "tag:Name", "Values": [NAME]}, {"Name": "instance-state-name", "Values": ["running"]}]
    )["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    assert len(instances) == 1, instances
    return instances[0]


def test_instance_type_imdsv2_ebs_optimised_protected(instance, aws):
    ec2 = aws("ec2")
    assert instance["InstanceType"] == VARS["aws_instance_type"]
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["MetadataOptions"]["HttpEndpoint"] == "enabled"
    assert instance["EbsOptimized"] is True
    protection = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="disableApiTermination")
    assert protection["DisableApiTermination"]["Value"] is True
    assert instance["IamInstanceProfile"]["Arn"].endswith(f":instance-profile/{NAME}-host")
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags["Name"] == NAME
    assert tags["ipacs_instance"] == VARS["aws_instance_ipacs_name"]
    assert tags["environment"] == VARS["aws_instance_environment"]
    assert tags["backup_policy"] == f"{NAME}-daily"


def data_volumes(aws, instance_id):
    """{device name: volume} of the instance's volumes other than the root."""
    ec2 = aws("ec2")
    inst = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    ids = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"] if m["DeviceName"] != inst["RootDeviceName"]}
    volumes = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=list(ids.values()))["Volumes"]}
    return {device: volumes[vid] for device, vid in ids.items()}


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def test_root_and_data_volumes_encrypted_gp3(instance, aws):
    mappings = {m["DeviceName"]: m["Ebs"] for m in instance["BlockDeviceMappings"]}
    assert len(mappings) == 2, mappings
    volumes = {
        v["VolumeId"]: v
        for v in aws("ec2").describe_volumes(VolumeIds=[m["VolumeId"] for m in mappings.values()])["Volumes"]
    }
    data = volumes[mappings["/dev/sdf"]["VolumeId"]]
    root = volumes[mappings[instance["RootDeviceName"]]["VolumeId"]]
    assert (data["Size"], data["VolumeType"], data["Encrypted"]) == (VARS["aws_instance_data_volumes"][0]["size"], "gp3", True)
    assert (root["Size"], root["VolumeType"], root["Encrypted"]) == (30, "gp3", True)
    assert mappings["/dev/sdf"]["DeleteOnTermination"] is False
    assert {t["Key"]: t["Value"] for t in data["Tags"]}["backup_policy"] == f"{NAME}-daily"


def test_security_group_allows_exactly_the_declared_ports_and_cidrs(instance, aws):
    group_ids = [g["GroupId"] for g in instance["SecurityGroups"]]
    assert len(group_ids) == 1
    group = aws("ec2").describe_security_groups(GroupIds=group_ids)["SecurityGroups"][0]
    assert group["GroupName"] == NAME
    rules = set()
    for perm in group["IpPermissions"]:
        for r in perm.get("IpRanges", []):
            rules.add((perm["IpProtocol"], perm["FromPort"], perm["ToPort"], r["CidrIp"]))
        for r in perm.get("Ipv6Ranges", []):
            rules.add((perm["IpProtocol"], perm["FromPort"], perm["ToPort"], r["CidrIpv6"]))
        assert not perm.get("UserIdGroupPairs") and not perm.get("PrefixListIds"), perm
    ports = [22, 80, VARS["aws_instance_https_port"]]
    expected = {("tcp", p, p, cidr) for p in ports for cidr in VARS["aws_instance_allowed_cidrs"]}
    assert rules == expected


def test_backup_vault_and_plan(provisioned, aws):
    backup = aws("backup")
    vaults = [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]]
    assert vaults == [NAME]
    plans = backup.list_backup_plans()["BackupPlansList"]
    assert [p["BackupPlanName"] for p in plans] == [f"{NAME}-daily"]
    rules = backup.get_backup_plan(BackupPlanId=plans[0]["BackupPlanId"])["BackupPlan"]["Rules"]
    assert len(rules) == 1
    hours, minutes = VARS["aws_instance_snapshot_time_utc"].split(":")
    assert rules[0]["ScheduleExpression"] == f"cron({int(minutes)} {int(hours)} * * ? *)"
    assert rules[0]["TargetBackupVaultName"] == NAME
    assert rules[0]["Lifecycle"]["DeleteAfterDays"] == VARS["aws_instance_snapshot_retention_count"]


def test_backup_bucket(provisioned, aws):
    s3 = aws("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    sse = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert len(rules) == 1 and rules[0]["Status"] == "Enabled"
    assert rules[0]["Transitions"] == [{"Days": VARS["aws_instance_backup_bucket_transition_days"], "StorageClass": "GLACIER"}]
    assert rules[0]["Expiration"]["Days"] == VARS["aws_instance_backup_bucket_expiration_days"]
    assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == VARS["aws_instance_backup_bucket_noncurrent_expiration_days"]


def test_only_the_instance_role_may_write(provisioned, aws):
    iam = aws("iam")
    role_arn = iam.get_role(RoleName=f"{NAME}-host")["Role"]["Arn"]
    policy = json.loads(aws("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])
    deny_writes = [s for s in policy["Statement"] if s["Sid"] == "OnlyTheIpacsHostWrites"][0]
    assert deny_writes["Effect"] == "Deny"
    assert deny_writes["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == role_arn
    profile = iam.get_instance_profile(InstanceProfileName=f"{NAME}-host")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [f"{NAME}-host"]
    inline = iam.get_role_policy(RoleName=f"{NAME}-host", PolicyName="ipacs-s3-backup")["PolicyDocument"]
    if isinstance(inline, str):
        inline = json.loads(inline)
    resources = [s["Resource"] for s in inline["Statement"] if s["Sid"] == "ReadWriteOwnPrefix"]
    assert resources == [f"arn:aws:s3:::{BUCKET}/home/ipacs/{VARS['aws_instance_ipacs_name']}/*"]


def test_inventory_plugin_lists_the_instance_in_its_groups(provisioned, instance, moto, env, tmp_path):
    config = yaml.safe_load(EC2_INVENTORY_EXAMPLE.read_text())
    config["regions"] = [REGION]
    config["endpoint_url"] = moto
    copy = tmp_path / "moto.aws_ec2.yml"
    copy.write_text(yaml.safe_dump(config))
    start = time.monotonic()
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-inventory"), "-i", str(copy), "--list"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    TIMINGS["ansible_inventory"] = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    inventory = json.loads(proc.stdout)
    for group in ("ipacs_hosts", f"env_{VARS['aws_instance_environment']}", f"ipacs_{VARS['aws_instance_ipacs_name']}"):
        assert inventory.get(group, {}).get("hosts") == [NAME], (group, inventory.keys())
    hostvars = {k: _plain(v) for k, v in inventory["_meta"]["hostvars"][NAME].items()}
    assert hostvars["instance_id"] == instance["InstanceId"]
    assert hostvars["ansible_host"] in (instance.get("PublicIpAddress"), instance["PrivateIpAddress"])
    assert hostvars["ipacs_instance"] == VARS["aws_instance_ipacs_name"]


# --- 4. check mode on the converged account, then on drift made by hand ---------------------------

def test_check_mode_on_the_converged_account_changes_nothing(provisioned, moto, env):
    # backup engine: amazon.aws backup_plan alone would report changed here (tags in check mode)
    proc = run_playbook(moto, env, "check_converged", check=True)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert recap(proc)["changed"] == 0, proc.stdout[-5000:]
    assert f"bucket {BUCKET} matches" in proc.stdout


@pytest.fixture(scope="module")
def drifted(instance, aws):
    home = data_volumes(aws, instance["InstanceId"])["/dev/sdf"]
    aws("ec2").create_tags(Resources=[home["VolumeId"]], Tags=[{"Key": "backup_policy", "Value": "none"}])
    aws("s3").put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    return home["VolumeId"]


def test_check_mode_reports_drift_and_fixes_nothing(drifted, instance, moto, env, aws):
    proc = run_playbook(moto, env, "check_drift", {"aws_instance_snapshot_retention_count": 10}, check=True)
    assert proc.returncode == 0, proc.stdout[-5000:]
    # the volume tag, the plan's retention and the bucket's versioning
    assert recap(proc)["changed"] == 3, proc.stdout[-6000:]
    assert f"would change versioning of bucket {BUCKET}" in proc.stdout
    # the volume's diff (--diff) shows the tag going back
    assert '+            "backup_policy": "ipacs-itest-daily"' in proc.stdout, proc.stdout[-6000:]
    assert tags_of(data_volumes(aws, instance["InstanceId"])["/dev/sdf"])["backup_policy"] == "none"
    assert aws("s3").get_bucket_versioning(Bucket=BUCKET)["Status"] == "Suspended"


# --- 5. data volumes follow the declaration ------------------------------------------------------

HOME_600 = {"name": "home", "device_name": "/dev/sdf", "size": 600, "mount_point": "/home", "label": "home"}
DB_100 = {"name": "db", "device_name": "/dev/sdg", "size": 100, "mount_point": "/var/lib/mysql", "fs_type": "ext4"}
IMAGES_200 = {
    "name": "images", "device_name": "/dev/sdh", "size": 200, "volume_type": "gp3", "throughput": 250,
    "mount_point": "/var/lib/dicom-server", "mount_options": ["defaults", "noatime"],
}


@pytest.fixture(scope="module")
def grown(drifted, instance, moto, env):
    proc = run_playbook(moto, env, "grow_and_add", {"aws_instance_data_volumes": [HOME_600, DB_100]})
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    return proc


def test_grow_keeps_the_volume_and_adds_the_second_one(grown, drifted, instance, aws):
    volumes = data_volumes(aws, instance["InstanceId"])
    assert sorted(volumes) == ["/dev/sdf", "/dev/sdg"]
    assert volumes["/dev/sdf"]["VolumeId"] == drifted
    assert volumes["/dev/sdf"]["Size"] == 600
    db = volumes["/dev/sdg"]
    assert (db["Size"], db["VolumeType"], db["Encrypted"]) == (100, "gp3", True)
    assert db["AvailabilityZone"] == instance["Placement"]["AvailabilityZone"]
    assert tags_of(db)["backup_policy"] == f"{NAME}-daily"
    inst = aws("ec2").describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    # kept when the instance is terminated (decommission relies on it)
    assert {m["DeviceName"]: m["Ebs"]["DeleteOnTermination"] for m in inst["BlockDeviceMappings"]}["/dev/sdg"] is False


def test_the_run_restored_the_drift(grown, drifted, instance, aws):
    assert tags_of(data_volumes(aws, instance["InstanceId"])["/dev/sdf"])["backup_policy"] == f"{NAME}-daily"
    assert aws("s3").get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


def test_shrink_is_refused_before_any_change(grown, drifted, instance, moto, env, aws):
    proc = run_playbook(moto, env, "shrink_refused", {"aws_instance_data_volumes": [dict(HOME_600, size=550), DB_100]})
    assert proc.returncode != 0
    assert f"data volume 'home' (/dev/sdf, {drifted}) is 600 GiB but declared 550 GiB" in proc.stdout, proc.stdout[-3000:]
    assert recap(proc)["changed"] == 0, proc.stdout[-5000:]
    assert data_volumes(aws, instance["InstanceId"])["/dev/sdf"]["Size"] == 600


# --- 6. type change on request only; the DLM engine as far as moto goes -------------------------

def test_type_change_needs_allow_resize(instance, grown, moto, env):
    refused = run_playbook(
        moto, env, "resize_refused", {"aws_instance_type": "m5.2xlarge", "aws_instance_data_volumes": [HOME_600, DB_100]}
    )
    assert refused.returncode != 0
    assert "aws_instance_allow_resize" in refused.stdout, refused.stdout[-3000:]
    assert recap(refused)["changed"] == 0


@pytest.fixture(scope="module")
def resized(instance, grown, moto, env, aws):
    # One run for three checks (a full run is the expensive part of this file): the resize happens in
    # tasks/instance.yml, a third data volume is added, then the DLM engine creates its role and calls
    # DLM, which moto cannot serve.
    before = aws("ec2").describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    volumes_before = sorted(m["Ebs"]["VolumeId"] for m in before["BlockDeviceMappings"])
    proc = run_playbook(
        moto, env, "resize_third_volume_dlm",
        {"aws_instance_type": "m5.2xlarge", "aws_instance_allow_resize": True, "aws_snapshot_engine": "dlm",
         "aws_instance_data_volumes": [HOME_600, DB_100, IMAGES_200]},
    )
    return proc, volumes_before


def test_three_data_volumes(resized, instance, aws):
    volumes = data_volumes(aws, instance["InstanceId"])
    assert sorted(volumes) == ["/dev/sdf", "/dev/sdg", "/dev/sdh"]
    images = volumes["/dev/sdh"]
    assert (images["Size"], images["VolumeType"], images["Throughput"]) == (200, "gp3", 250)


def test_resize_keeps_instance_and_volumes_then_dlm_engine_reaches_dlm(resized, instance, aws):
    proc, volumes_before = resized
    ec2 = aws("ec2")
    after = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert after["InstanceType"] == "m5.2xlarge"
    assert after["State"]["Name"] == "running"
    assert set(volumes_before) <= {m["Ebs"]["VolumeId"] for m in after["BlockDeviceMappings"]}
    running = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running", "pending"]}])
    assert sum(len(r["Instances"]) for r in running["Reservations"]) == 1

    # moto 5.2.5 has no DLM: the run must fail exactly at the DLM task, with moto's HTTP 500
    assert proc.returncode != 0
    failed_task = re.findall(r"^TASK \[([^\]]*)\]", proc.stdout.split("FAILED!")[0], re.M)[-1]
    assert failed_task.endswith("Snapshot the instance daily with a Data Lifecycle Manager policy"), failed_task
    assert "500" in proc.stdout
    iam = aws("iam")
    role = iam.get_role(RoleName=f"{NAME}-dlm")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    assert trust["Statement"][0]["Principal"] == {"Service": "dlm.amazonaws.com"}
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=f"{NAME}-dlm")["AttachedPolicies"]]
    assert attached == ["arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"]


# --- 7. decommission: refused unless named, keeps the data, purges only when confirmed ----------

DECOMMISSION = REPO / "playbooks" / "aws_decommission.yml"


@pytest.fixture(scope="module")
def snapshot_id(resized, instance, aws):
    # what a DLM run would have left: a snapshot carrying the volume's tags
    home = data_volumes(aws, instance["InstanceId"])["/dev/sdf"]
    snap = aws("ec2").create_snapshot(
        VolumeId=home["VolumeId"],
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "backup_policy", "Value": f"{NAME}-daily"}]}],
    )
    return snap["SnapshotId"]


def test_decommission_refused_unless_named_and_confirmed(snapshot_id, instance, moto, env, aws):
    cases = {
        "unnamed": ({}, "aws_decommission_instance must name the instance"),
        "other_name": ({"aws_decommission_instance": "ipacs-other"}, "aws_decommission_instance must name the instance"),
        "purge_unconfirmed": (
            {"aws_decommission_instance": NAME, "aws_instance_purge_data": True, "aws_decommission_confirm": "yes"},
            "needs aws_decommission_confirm",
        ),
    }
    start = time.monotonic()
    procs = {
        case: subprocess.Popen(_cmd(moto, extra, playbook=DECOMMISSION), env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for case, (extra, _message) in cases.items()
    }
    for case, proc in procs.items():
        output = proc.communicate(timeout=300)[0]
        assert proc.returncode != 0, (case, output[-2000:])
        assert cases[case][1] in output, (case, output[-2000:])
    TIMINGS["decommission_refused_concurrent"] = time.monotonic() - start
    state = aws("ec2").describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] == "running"


@pytest.fixture(scope="module")
def decommissioned(snapshot_id, instance, moto, env, aws):
    kept_ids = sorted(v["VolumeId"] for v in data_volumes(aws, instance["InstanceId"]).values())
    proc = run_playbook(moto, env, "decommission_keep", {"aws_decommission_instance": NAME}, playbook=DECOMMISSION)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    return proc, kept_ids


def test_decommission_terminates_and_keeps_the_data(decommissioned, snapshot_id, instance, aws):
    proc, kept_ids = decommissioned
    ec2 = aws("ec2")
    state = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] == "terminated"
    remaining = sorted(v["VolumeId"] for v in ec2.describe_volumes(VolumeIds=kept_ids)["Volumes"])
    assert remaining == kept_ids
    assert ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert aws("s3").head_bucket(Bucket=BUCKET)
    assert "Kept data volumes" in proc.stdout
    assert all(volume_id in proc.stdout for volume_id in kept_ids), proc.stdout[-3000:]
    assert "1 snapshot(s)" in proc.stdout


def test_decommission_purge_when_confirmed(decommissioned, snapshot_id, moto, env, aws):
    _proc, kept_ids = decommissioned
    proc = run_playbook(
        moto, env, "decommission_purge",
        {"aws_decommission_instance": NAME, "aws_instance_purge_data": True, "aws_decommission_confirm": NAME},
        playbook=DECOMMISSION,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    ec2 = aws("ec2")
    assert not [v for v in ec2.describe_volumes()["Volumes"] if v["VolumeId"] in kept_ids]
    assert not [s for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] if s["SnapshotId"] == snapshot_id]
    assert BUCKET not in [b["Name"] for b in aws("s3").list_buckets().get("Buckets", [])]
    assert "Purged data volumes" in proc.stdout
