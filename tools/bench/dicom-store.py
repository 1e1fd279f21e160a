#!/usr/bin/env python3
"""C-STORE throughput of a DICOM archive: N generated 512x512 CT images over 1 and 4 associations.

Not a timed test: run it by hand against an archive (e.g. a Molecule `dicom` host, from the
controller, which the scenario allows as PACSOPS from 172.30.80.1):

    .venv/bin/python tools/bench/dicom-store.py --host 172.30.80.10 --called-ae HOSPITAL_PACS -n 200

For each association count it prints images/s and the median and 95th percentile C-STORE latency.
--client-nodelay sets TCP_NODELAY on this side's socket too; the archive's side is the
dicom_service_tcp_nodelay role variable (Environment=TCP_NODELAY=1 for Orthanc's DCMTK): run the
script once with the variable true and once false to compare. --count 1 --associations 1 stores a
single image (the `make demo` headline).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE, evt
from pynetdicom.sop_class import CTImageStorage

SIZE = 512


def make_images(count: int, patient_id: str) -> list[Dataset]:
    """count CT images of one study, 512x512 16-bit (512 KiB of pixel data each)."""
    study, series = generate_uid(), generate_uid()
    pixels = os.urandom(SIZE * SIZE * 2)
    images = []
    for number in range(count):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.PatientName, ds.PatientID = "PACSOPS^BENCH", patient_id
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.Modality, ds.InstanceNumber = "CT", number + 1
        ds.Rows = ds.Columns = SIZE
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = pixels
        images.append(ds)
    return images


def store(args, images: list[Dataset], latencies: list[float], errors: list[str]) -> None:
    """One association that stores images, appending each C-STORE's latency in seconds."""
    ae = AE(ae_title=args.calling_ae)
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = args.timeout
    handlers = []
    if args.client_nodelay:
        handlers.append((evt.EVT_CONN_OPEN, lambda event: event.assoc.dul.socket.socket.setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)))
    assoc = ae.associate(args.host, args.port, ae_title=args.called_ae, max_pdu=args.max_pdu, evt_handlers=handlers)
    if not assoc.is_established:
        errors.append("association not accepted")
        return
    try:
        for ds in images:
            start = time.perf_counter()
            status = assoc.send_c_store(ds)
            latencies.append(time.perf_counter() - start)
            if status is None or status.Status != 0x0000:
                errors.append("C-STORE status %s" % (None if status is None else hex(status.Status)))
    finally:
        assoc.release()


def run(args, associations: int) -> dict:
    images = make_images(args.count, "BENCH-%d" % associations)
    share = [images[i::associations] for i in range(associations)]
    latencies: list[float] = []
    errors: list[str] = []
    threads = [threading.Thread(target=store, args=(args, part, latencies, errors)) for part in share if part]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "associations": associations,
        "images": len(latencies),
        "seconds": elapsed,
        "images_per_s": len(latencies) / elapsed if elapsed else 0.0,
        "median_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000 if len(latencies) >= 20 else None,
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=11112)
    parser.add_argument("--called-ae", default="HOSPITAL_PACS")
    parser.add_argument("--calling-ae", default="PACSOPS")
    parser.add_argument("-n", "--count", type=int, default=100, help="images per run (default 100)")
    parser.add_argument("--associations", type=int, nargs="+", default=[1, 4], help="runs, by association count")
    parser.add_argument("--max-pdu", type=int, default=65536, help="PDU size this side accepts (003: 65536)")
    parser.add_argument("--client-nodelay", action="store_true", help="TCP_NODELAY on this side's socket too")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()

    failed = False
    print("C-STORE of %d x %dx%d CT images to %s at %s:%d as %s (client TCP_NODELAY %s)" % (
        args.count, SIZE, SIZE, args.called_ae, args.host, args.port, args.calling_ae,
        "on" if args.client_nodelay else "off"))
    for associations in args.associations:
        result = run(args, associations)
        p95 = "" if result["p95_ms"] is None else ", p95 %.1f ms" % result["p95_ms"]
        median = "n/a" if result["median_ms"] is None else "%.1f ms" % result["median_ms"]
        print("  %d association(s): %d images in %.2f s = %.1f images/s, median latency %s%s" % (
            associations, result["images"], result["seconds"], result["images_per_s"], median, p95))
        if result["errors"]:
            failed = True
            print("  errors: %s" % sorted(set(result["errors"])), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
