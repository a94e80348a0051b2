#!/usr/bin/python3
"""Independent reader for `.wandb` run files, used to cross-check the C++ writer.

Written from docs/run-file.md alone, sharing no code with the library: it
parses the LevelDB-log chunks itself, checks each CRC with zlib.crc32, decodes
the payloads with the Python code protoc generated from proto/wandb_internal.proto
(through Debian's python3-protobuf), and compares every record with the sidecar
JSON the C++ sample writer emitted.

usage: /usr/bin/python3 read_wandb_file.py --proto-dir DIR [--expect SIDECAR] FILE

Exit status 0 when the file is valid (and matches the sidecar), 1 otherwise.
"""
import argparse
import json
import struct
import sys
import zlib

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK = 32768
CHUNK_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
TYPE_NAMES = {FULL: "FULL", FIRST: "FIRST", MIDDLE: "MIDDLE", LAST: "LAST"}


class FormatError(Exception):
    pass


def read_chunks(data):
    """Yields (record_offset, payload, chunk_types) for every record."""
    if data[:7] != HEADER:
        raise FormatError(f"bad header: expected {HEADER.hex(' ')}, got {data[:7].hex(' ')}")
    pos = 7
    pending = None  # (offset, [payload parts], [types])
    while pos < len(data):
        left = BLOCK - pos % BLOCK
        if left < CHUNK_HEADER:
            pad = data[pos:pos + left]
            if pad != b"\0" * left:
                raise FormatError(f"bad padding at {pos}: expected {left} zero bytes, "
                                  f"got {pad.hex(' ')}")
            pos += left
            continue
        if len(data) - pos < CHUNK_HEADER:
            raise FormatError(f"truncated chunk header at {pos}")
        crc, length, ctype = struct.unpack_from("<IHB", data, pos)
        if length > left - CHUNK_HEADER:
            raise FormatError(f"chunk at {pos} crosses its block: length {length}, "
                              f"room {left - CHUNK_HEADER}")
        payload = data[pos + CHUNK_HEADER:pos + CHUNK_HEADER + length]
        if len(payload) != length:
            raise FormatError(f"truncated chunk at {pos}: expected {length} bytes, "
                              f"got {len(payload)}")
        computed = zlib.crc32(bytes([ctype]) + payload) & 0xFFFFFFFF
        if computed != crc:
            raise FormatError(f"CRC mismatch at {pos}: stored {crc:#010x}, "
                              f"computed {computed:#010x}")
        if ctype in (FULL, FIRST):
            if pending is not None:
                raise FormatError(f"chunk type {ctype} at {pos} inside the record "
                                  f"started at {pending[0]}")
            if ctype == FULL:
                yield pos, payload, [FULL]
            else:
                pending = (pos, [payload], [FIRST])
        elif ctype in (MIDDLE, LAST):
            if pending is None:
                raise FormatError(f"chunk type {ctype} at {pos} without a FIRST chunk")
            pending[1].append(payload)
            pending[2].append(ctype)
            if ctype == LAST:
                yield pending[0], b"".join(pending[1]), pending[2]
                pending = None
        else:
            raise FormatError(f"bad chunk type at {pos}: expected 1-4, got {ctype}")
        pos += CHUNK_HEADER + length
    if pending is not None:
        raise FormatError(f"file ends inside the record at {pending[0]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proto-dir", required=True, help="folder holding wandb_internal_pb2.py")
    parser.add_argument("--expect", help="sidecar JSON written by run_file_sample")
    parser.add_argument("file")
    args = parser.parse_args()

    sys.path.insert(0, args.proto_dir)
    try:
        from google.protobuf import json_format
        import wandb_internal_pb2 as pb
    except ImportError as e:
        # Never skip quietly: a missing python3-protobuf must fail the test.
        print(f"FAIL: cannot import protobuf or the generated module ({e}); "
              f"install python3-protobuf and run with /usr/bin/python3 (this is {sys.executable})",
              file=sys.stderr)
        return 1

    with open(args.file, "rb") as f:
        data = f.read()
    failures = []

    try:
        chunks = list(read_chunks(data))
    except FormatError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1

    decoded = []
    for offset, payload, types in chunks:
        record = pb.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        as_dict = json_format.MessageToDict(record, preserving_proto_field_name=True)
        decoded.append((offset, payload, types, kind, record, as_dict))
        names = "/".join(TYPE_NAMES[t] for t in types)
        print(f"#{record.num} @{offset} {kind} ({len(payload)} bytes, {names})")
        if record.SerializeToString() != payload:
            failures.append(f"record at {offset}: Python re-encodes it differently")
        if kind == "final" and payload != b"\xa2\x01\x00":
            failures.append(f"final record at {offset}: expected a2 01 00, got {payload.hex(' ')}")

    kinds = [d[3] for d in decoded]
    wanted = ["header", "run", "config", "files", "history", "summary", "exit", "final"]
    firsts = [kinds.index(k) if k in kinds else -1 for k in wanted]
    if -1 in firsts or firsts != sorted(firsts) or kinds[0] != "header" or kinds[-1] != "final":
        failures.append(f"record order: expected {wanted} (first occurrences), got {kinds}")
    if not any(MIDDLE in d[2] for d in decoded):
        failures.append("expected a record spread over FIRST/MIDDLE/LAST chunks, got none")

    if args.expect:
        with open(args.expect) as f:
            expect = json.load(f)
        if expect["file_bytes"] != len(data):
            failures.append(f"file size: expected {expect['file_bytes']}, got {len(data)}")
        records = expect["records"]
        if len(records) != len(decoded):
            failures.append(f"record count: expected {len(records)}, got {len(decoded)}")
        for want, (offset, payload, _, kind, _, as_dict) in zip(records, decoded):
            where = f"record #{want['json'].get('num', '0')} at {want['offset']}"
            if want["offset"] != offset:
                failures.append(f"{where}: expected offset {want['offset']}, got {offset}")
            if want["kind"] != kind:
                failures.append(f"{where}: expected kind {want['kind']}, got {kind}")
            if want["payload_hex"] != payload.hex():
                failures.append(f"{where}: payload bytes differ from what the writer serialised")
            if want["json"] != as_dict:
                failures.append(f"{where}: expected {json.dumps(want['json'])[:300]}, "
                                f"got {json.dumps(as_dict)[:300]}")

    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"ok: {len(decoded)} records, {len(data)} bytes, every CRC valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
