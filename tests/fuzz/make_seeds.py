#!/usr/bin/env python3
# Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the
# published vectors in docs/vectors (wire/, federation/) and from the examples of
# docs/federation.md and docs/config.md, and the dictionaries (tests/fuzz/dict/<target>.dict)
# from the seeds and protocol/message_type.hpp. Run it after changing those; it replaces the
# seed files it owns (named seed-*) and leaves any other file in a corpus alone (e.g.
# reproducers of fixed bugs).
import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
DICTS = ROOT / "tests" / "fuzz" / "dict"
VECTORS = ROOT / "docs" / "vectors"


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:60]
    digest = hashlib.sha1(data).hexdigest()[:8]
    (folder / f"seed-{safe}-{digest}").write_bytes(data)


def clear_seeds(target):
    folder = CORPUS / target
    if folder.is_dir():
        for f in folder.glob("seed-*"):
            f.unlink()


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def decode_seeds():
    for path in sorted((VECTORS / "wire").glob("*.json")):
        for case in json.loads(path.read_text())["cases"]:
            if "input" in case:
                write("fuzz_decode", f"{path.stem}.{case['name']}", case["input"])


def base64_seeds():
    for text in ["", "QQ==", "QUI=", "QUJD", "aGVsbG8=", "AAECAwQFBgcICQoLDA0ODw==", "QR==", "QUJ=", "A===", "=AAA"]:
        write("fuzz_base64", text or "empty", text)
    scrypt = json.loads((VECTORS / "crypto" / "scrypt.json").read_text())
    for case in scrypt["stored"]:
        _, _, salt, hash_ = case["stored"].split("$")
        write("fuzz_base64", case["name"] + ".salt", salt)
        write("fuzz_base64", case["name"] + ".hash", hash_)
    for case in json.loads((VECTORS / "crypto" / "spki_pin.json").read_text())["cases"]:
        write("fuzz_base64", case["name"], case["pin"])


def hello_seeds():
    for name, frame in [
        ("valid", {"type": "FED_HELLO", "origin": "beta.example", "version": 1}),
        ("folded", {"type": "FED_HELLO", "origin": "Beta.Example", "version": 1, "extra": True}),
        ("version2", {"type": "FED_HELLO", "origin": "beta.example", "version": 2}),
        ("no_origin", {"type": "FED_HELLO", "version": 1}),
        ("bad_domain", {"type": "FED_HELLO", "origin": "not a domain", "version": 1}),
        ("string_version", {"type": "FED_HELLO", "origin": "a.example", "version": "1"}),
        ("other_type", {"type": "FED_EVENT", "origin": "a.example", "version": 1}),
    ]:
        write("fuzz_fed_hello", name, compact(frame))


def fed_frame_seeds():
    frames = json.loads((VECTORS / "federation" / "frames.json").read_text())
    for group in ("frames", "invalid"):
        for case in frames[group]:
            if "input" in case:
                write("fuzz_fed_frame", f"{group}.{case['name']}", case["input"])
    # Every event of events.json, carried by a FED_EVENT.
    events = json.loads((VECTORS / "federation" / "events.json").read_text())
    for group in ("events", "invalid"):
        for n, case in enumerate(events[group], 1):
            carried = '{"type":"FED_EVENT","stream":"s","seq":%d,"after":0,"event":%s}' % (n, case["input"])
            write("fuzz_fed_frame", f"event.{group}.{case['name']}", carried)


# The world fuzz_fed_event.cpp starts from: bob and dave of alpha.example; bob a friend of
# carol@beta.example; erin@beta asked dave, bob asked erin; #home1@alpha.example (bob leads,
# carol member, erin invited); #away1@beta.example (carol leads, bob member, dave invited);
# bob's media "up1" waits for beta.
BOB, DAVE = "bob@alpha.example", "dave@alpha.example"
CAROL, ERIN = "carol@beta.example", "erin@beta.example"
HOME, AWAY = "#home1@alpha.example", "#away1@beta.example"


def frame(type_, payload, id_=None):
    envelope = {"type": type_, "timestamp": 1700000000}
    if id_:
        envelope["id"] = id_
    envelope["payload"] = payload
    return compact(envelope)


def deliver(to, text, ref=None):
    event = {"kind": "deliver", "to": to, "message": json.loads(text)}
    if ref:
        event["ref"] = ref
    return event


def act(actor, text):
    return {"kind": "act", "actor": actor, "request": json.loads(text)}


def fed_event_seeds():
    sha = "a" * 64
    away = {"name": "Away", "leader": CAROL, "members": [CAROL, BOB, DAVE], "invited": [], "created": 1700000000}
    events = {
        "friend_request": deliver([BOB], frame("FRIEND_REQUEST", {"sender": "frank@beta.example", "receiver": BOB}), "r1"),
        "friend_request_crossing": deliver([DAVE], frame("FRIEND_REQUEST", {"sender": ERIN, "receiver": DAVE})),
        "friend_request_ack": deliver([BOB], frame("FRIEND_REQUEST_ACK", {"sender": BOB, "receiver": ERIN, "code": 3001})),
        "friend_response": deliver([BOB], frame("FRIEND_REQUEST_RESPONSE", {"sender": BOB, "receiver": ERIN, "code": 0})),
        "friend_remove": deliver([BOB], frame("FRIEND_REMOVE", {"sender": CAROL, "receiver": BOB})),
        "status": deliver([BOB], frame("USER_STATUS_UPDATE", {"username": CAROL, "status": "away"})),
        "logout": deliver([BOB], frame("USER_LOGOUT", {"username": CAROL})),
        "text": deliver([BOB], frame("TEXT_MESSAGE", {"sender": CAROL, "receiver": BOB, "content": "hi bob"})),
        "text_not_friend": deliver([DAVE], frame("TEXT_MESSAGE", {"sender": CAROL, "receiver": DAVE, "content": "hi"})),
        "group_text": deliver([BOB], frame("TEXT_MESSAGE", {"sender": CAROL, "receiver": AWAY, "content": "hi all",
                                                            "groupId": AWAY, "group": "Away"})),
        "group_invite": deliver([DAVE], frame("GROUP_INVITE", {"sender": CAROL, "receiver": DAVE, "group": "Away",
                                                               "groupId": AWAY})),
        "group_leave_ack": deliver([BOB], frame("GROUP_LEAVE_ACK", {"sender": BOB, "group": "Away", "code": 0,
                                                                    "groupId": AWAY})),
        "error_answer": deliver([BOB], frame("ERROR", {"code": 9005, "message": "not the leader",
                                                       "inReplyTo": "GROUP_REMOVE"}, "q1")),
        "spoofed_sender": deliver([BOB], frame("TEXT_MESSAGE", {"sender": "mallory@gamma.example", "receiver": BOB,
                                                                "content": "x"})),
        "act_text": act(CAROL, frame("TEXT_MESSAGE", {"sender": CAROL, "receiver": HOME, "content": "to home"})),
        "act_invite_accept": act(ERIN, frame("GROUP_INVITE_RESPONSE", {"sender": BOB, "receiver": ERIN, "group": "Home",
                                                                        "code": 0, "groupId": HOME})),
        "act_leave": act(CAROL, frame("GROUP_LEAVE", {"sender": CAROL, "group": "Home", "groupId": HOME}, "l1")),
        "act_leader_change": act(CAROL, frame("GROUP_LEADER_CHANGE", {"sender": CAROL, "group": "Home",
                                                                       "newLeader": CAROL, "groupId": HOME})),
        "act_remove": act(CAROL, frame("GROUP_REMOVE", {"sender": CAROL, "group": "Home", "groupId": HOME})),
        "group_record": {"kind": "group", "groupId": AWAY, "group": away, "seen": {"stream": "s", "seq": 1}},
        "group_deleted": {"kind": "group", "groupId": AWAY, "group": None},
        "group_not_homed": {"kind": "group", "groupId": HOME, "group": None},
        "reset": {"kind": "reset"},
        "media": {"kind": "media", "mediaId": "cat-video", "sender": CAROL, "receiver": BOB, "mediaType": "image/jpeg",
                  "mediaSize": 3158093, "totalChunks": 49, "sha256": sha, "timestamp": 1700000000, "to": [BOB]},
        "media_group": {"kind": "media", "mediaId": "up1", "sender": CAROL, "receiver": AWAY, "group": "Away",
                        "mediaType": "image/png", "mediaSize": 10, "totalChunks": 1, "sha256": sha,
                        "timestamp": 1700000000, "to": [BOB]},
        "media_done": {"kind": "media_done", "mediaId": "up1", "code": 0},
        "unknown_kind": {"kind": "teleport"},
    }
    # The older form (before 0.2, now refused with 9003): the client message as a string.
    legacy = dict(events["friend_request"])
    legacy["frame"] = compact(legacy.pop("message"))
    events["friend_request_legacy_string"] = legacy
    for name, event in events.items():
        write("fuzz_fed_event", name, compact(event))
    # Sequences: state that later events build on.
    sequences = {
        "invite_then_accept_here": [events["group_invite"], events["group_record"], events["reset"]],
        "request_answer_remove": [events["friend_request"], events["friend_request_ack"], events["friend_remove"]],
        "media_twice": [events["media"], events["media"], events["media_done"]],
        "home_flow": [events["act_invite_accept"], events["act_text"], events["act_leave"], events["act_remove"]],
    }
    for name, seq in sequences.items():
        write("fuzz_fed_event", "seq." + name, "\n".join(compact(e) for e in seq))


def record_seeds():
    scrypt = json.loads((VECTORS / "crypto" / "scrypt.json").read_text())
    stored = scrypt["stored"][0]["stored"]
    write("fuzz_store_records", "account", "a" + compact({"credential": stored, "created": 1700000000}))
    for case in scrypt["stored"]:
        write("fuzz_store_records", "credential." + case["name"], "c" + case["stored"])
    for case in scrypt["malformed_stored"]:
        write("fuzz_store_records", "credential." + case["name"], "c" + case["stored"])
    write("fuzz_store_records", "message", "m" + compact({"t": 1700000000, "s": CAROL, "r": BOB, "c": "hi"}))
    write("fuzz_store_records", "message.group_media",
          "m" + compact({"t": 1700000000, "s": CAROL, "r": AWAY, "c": "", "g": AWAY, "n": "Away",
                         "mi": "cat", "mt": "image/png", "ms": 12345}))
    write("fuzz_store_records", "group",
          "g" + compact({"name": "Home", "leader": BOB, "members": [BOB, CAROL],
                         "invited": [{"user": ERIN, "inviter": BOB}], "created": 1700000000}))
    write("fuzz_store_records", "media",
          "d" + compact({"sender": BOB, "receiver": CAROL, "group_name": "", "media_type": "image/png", "size": 5,
                         "total_chunks": 1, "bytes": 5, "chunks": 1, "complete": True, "sha256": "a" * 64,
                         "message_id": 7, "pending": 1, "recipients": ["@beta.example"], "created": 1700000000}))
    write("fuzz_store_records", "fetch",
          "f" + compact({"origin": "beta.example", "originId": "cat", "sha256": "a" * 64, "to": [BOB], "home": False,
                         "timestamp": 1700000000, "attempts": 0}))


def config_seeds():
    minimal = {"domain": "alpha.example", "data_dir": "data", "client": {"cert": "node.crt", "key": "node.key"}}
    full = {
        "domain": "alpha.example",
        "data_dir": "/srv/chatnode/data",
        "client": {"listen": "0.0.0.0:7443", "cert": "node.crt", "key": "node.key"},
        "federation": {"listen": "[::]:7444", "ca": "fed-ca.crt", "peers": {"beta.example": "127.0.0.1:7454"},
                       "pins": {"beta.example": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
                       "allow": ["beta.example"], "deny": ["evil.example"], "dial_on_start": True},
        "kdf": {"N": 1024, "r": 8, "p": 1},
        "registration": "closed",
        "threads": 2,
        "kdf_threads": 1,
        "log_level": "warn",
        "store": {"map_size_mb": 64, "max_map_size_mb": 1024},
        "limits": {"max_message_bytes": 131072, "max_frame_bytes": 1048576, "write_queue_messages": 4096,
                   "write_queue_bytes": 8388608, "handshake_timeout_seconds": 10, "idle_timeout_seconds": 300,
                   "login_max_failures": 5, "login_lockout_seconds": 30, "max_pending_kdf": 64,
                   "max_connections": 50000, "max_text_bytes": 16384},
        "media": {"max_bytes": 268435456, "max_chunk_bytes": 65536, "max_concurrent_uploads": 4,
                  "quota_bytes": 1073741824, "retention_seconds": 604800, "delivery_window": 8},
    }
    write("fuzz_config", "minimal", json.dumps(minimal, indent=2))
    write("fuzz_config", "full", json.dumps(full, indent=2))
    write("fuzz_config", "comments", '{\n  // a comment\n  "domain": "Alpha.Example",\n  "data_dir": "d",\n'
                                     '  "client": {"cert": "c", "key": "k",},\n}\n')
    write("fuzz_config", "unknown_key", compact({**minimal, "domian": "x"}))
    write("fuzz_config", "bad_port", compact({**minimal, "client": {"listen": "0.0.0.0:99999", "cert": "c", "key": "k"}}))


def json_tokens(value, out):
    """Object keys and short string values of a JSON value, recursing into JSON held in strings."""
    if isinstance(value, dict):
        for key, item in value.items():
            out.add(json.dumps(key))
            json_tokens(item, out)
    elif isinstance(value, list):
        for item in value:
            json_tokens(item, out)
    elif isinstance(value, str):
        if value[:1] == "{":
            try:
                inner = set()
                json_tokens(json.loads(value), inner)
                out.update(inner)
                out.update(json.dumps(t)[1:-1] for t in inner)  # as they appear escaped in the outer string
            except ValueError:
                pass
        elif len(value) <= 40:
            out.add(json.dumps(value))


def write_dict(target, extra=()):
    tokens = set(extra)
    for f in (CORPUS / target).glob("seed-*"):
        text = f.read_bytes().decode(errors="replace")
        if target == "fuzz_store_records":
            text = text[1:]
        for line in text.splitlines() or [text]:
            try:
                json_tokens(json.loads(line), tokens)
            except ValueError:
                pass
    DICTS.mkdir(exist_ok=True)
    lines = ["# Generated by tests/fuzz/make_seeds.py: keys and values of the seed corpus."]
    for i, token in enumerate(sorted(tokens)):
        escaped = "".join(c if 0x20 <= ord(c) < 0x7f and c not in '\\"' else
                          "\\" + c if c in '\\"' else
                          "".join(f"\\x{b:02x}" for b in c.encode()) for c in token)
        lines.append(f'kw{i}="{escaped}"')
    (DICTS / f"{target}.dict").write_text("\n".join(lines) + "\n")


def message_types():
    header = (ROOT / "protocol" / "message_type.hpp").read_text()
    return {f'"{name}"' for name in re.findall(r'X\(\w+, "([A-Z_]+)"\)', header)}


def main():
    for target in ["fuzz_decode", "fuzz_base64", "fuzz_fed_hello", "fuzz_fed_frame", "fuzz_fed_event", "fuzz_store_records",
                   "fuzz_config"]:
        clear_seeds(target)
    decode_seeds()
    base64_seeds()
    hello_seeds()
    fed_frame_seeds()
    fed_event_seeds()
    record_seeds()
    config_seeds()
    types = message_types()
    write_dict("fuzz_decode", types)
    write_dict("fuzz_fed_event", types | {t.replace('"', '\\"') for t in types})
    write_dict("fuzz_fed_frame", types)
    write_dict("fuzz_store_records")
    write_dict("fuzz_config")


if __name__ == "__main__":
    main()
