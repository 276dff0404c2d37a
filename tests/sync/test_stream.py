"""The live stream against the real sandbox: numbered frames, resume, refusals, faults."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import websocket

from tests.sync.conftest import Sandbox, frames, open_stream


def close_code(ws: websocket.WebSocket) -> int:
    """Skips to the server's close frame and returns its status code."""
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code: int = struct.unpack("!H", frame.data[:2])[0]
            ws.shutdown()  # the client already answered the close; drop the socket
            return code


def test_frames_are_numbered_and_carry_records(own_sandbox: list[Sandbox],
                                               tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=200).start()
    own_sandbox.append(box)
    desk = box.desk()
    ws, hello, subscribed = open_stream(desk, {"type": "subscribe"})
    assert hello["type"] == "hello" and subscribed["from_seq"] == hello["stream_seq"]
    desk.control("advance", {"steps": 20})
    got = frames(ws, 150)
    ws.close()
    seqs = [f["seq"] for f in got]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    types = {f["type"] for f in got}
    assert {"price.tick", "deal.added", "account_state.changed"} <= types
    deal = next(f for f in got if f["type"] == "deal.added")["data"]
    assert deal["kind"] == "deal" and deal["data"]["action"] in ("BUY", "SELL", "BALANCE")
    # a streamed record is the same one the changes feed serves
    same = desk.get(f"/v1/records/deal/{deal['id']}").json()
    assert same["data"] == deal["data"]


def test_resume_replays_exactly_the_missed_frames(own_sandbox: list[Sandbox],
                                                  tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=200).start()
    own_sandbox.append(box)
    desk = box.desk()
    ws, _, _ = open_stream(desk, {"type": "subscribe"})
    desk.control("advance", {"steps": 5})
    seen = frames(ws, 40)
    ws.close()
    last = seen[-1]["seq"]
    after = desk.control("advance", {"steps": 10})["stream_seq"]
    ws, _, subscribed = open_stream(desk, {"type": "resume", "from_seq": last})
    assert subscribed == {"type": "subscribed", "from_seq": last}
    missed = frames(ws, after - last)
    ws.close()
    assert [f["seq"] for f in missed] == list(range(last + 1, after + 1))


def test_too_old_resume_is_refused_distinctly(own_sandbox: list[Sandbox],
                                              tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", "--stream-buffer", "100", clients=100).start()
    own_sandbox.append(box)
    desk = box.desk()
    desk.control("burst", {"ticks": 1000})
    ws, hello, reply = open_stream(desk, {"type": "resume", "from_seq": 3})
    assert hello["oldest_seq"] > 4
    assert reply["type"] == "resume_too_old" and reply["oldest_seq"] == hello["oldest_seq"]
    assert close_code(ws) == 4410
    ws.close()
    # a point within the buffer still resumes
    ws, hello, reply = open_stream(desk, {"type": "resume",
                                          "from_seq": hello["stream_seq"] - 10})
    assert reply["type"] == "subscribed" and len(frames(ws, 10)) == 10
    ws.close()


def test_heartbeats_when_idle_and_pong(own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", "--heartbeat", "0.2", clients=50).start()
    own_sandbox.append(box)
    desk = box.desk()
    ws, hello, _ = open_stream(desk, {"type": "subscribe"})
    beat = json.loads(ws.recv())
    assert beat["type"] == "heartbeat" and beat["stream_seq"] == hello["stream_seq"]
    assert beat["head_seq"] == hello["head_seq"]
    ws.send(json.dumps({"type": "ping"}))
    replies = [json.loads(ws.recv())["type"] for _ in range(3)]
    assert "pong" in replies
    ws.close()


def test_unauthenticated_and_malformed_openings_are_refused(sandbox: Sandbox) -> None:
    url = sandbox.base.replace("http", "ws", 1) + "/v1/stream"
    ws = websocket.create_connection(url, timeout=10)
    assert json.loads(ws.recv())["type"] == "unauthorized"
    ws.close()
    desk = sandbox.desk()
    ws, _, reply = open_stream(desk, {"type": "resume", "from_seq": 10**12})
    assert reply["type"] == "resume_invalid"
    ws.close()
    ws = desk.stream()
    ws.recv()
    ws.send("not json")
    assert json.loads(ws.recv())["type"] == "protocol_error"
    ws.close()
    ws = desk.stream()
    ws.recv()
    ws.send_binary(b"\x00\x01")
    assert json.loads(ws.recv())["type"] == "protocol_error"
    ws.close()
    ws, _, reply = open_stream(desk, {"type": "resume", "from_seq": True})
    assert reply["type"] == "resume_invalid"
    ws.close()


def test_desks_that_vanish_leave_no_errors(own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=50).start()
    own_sandbox.append(box)
    desk = box.desk()
    ws = desk.stream()
    ws.recv()
    ws.shutdown()  # gone before saying resume or subscribe
    ws, _, _ = open_stream(desk, {"type": "subscribe"})
    desk.control("burst", {"ticks": 5000})
    ws.shutdown()  # gone while frames are being sent
    ws, hello, _ = open_stream(desk, {"type": "subscribe"})
    assert hello["epoch"] == desk.get("/v1/info").json()["epoch"]
    ws.close()
    assert box.stop() == 0
    assert "Traceback" not in box.output and "Exception" not in box.output, box.output


def test_stream_faults_duplicate_reorder_and_close(own_sandbox: list[Sandbox],
                                                  tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=50).start()
    own_sandbox.append(box)
    desk = box.desk()
    desk.control("faults", {"stream": {"duplicate_rate": 1.0}}, method="PUT")
    ws, _, _ = open_stream(desk, {"type": "subscribe"})
    desk.control("burst", {"ticks": 20})
    seqs = [f["seq"] for f in frames(ws, 20)]
    ws.close()
    assert seqs[0::2] == seqs[1::2]  # every frame twice
    desk.control("faults", {"stream": {"duplicate_rate": 0.0, "reorder_rate": 0.5}},
                 method="PUT")
    ws, _, _ = open_stream(desk, {"type": "subscribe"})
    desk.control("burst", {"ticks": 200})
    seqs = [f["seq"] for f in frames(ws, 200)]
    ws.close()
    assert seqs != sorted(seqs), "some frames overtook others"
    assert len(set(seqs)) == 200 and max(seqs) - min(seqs) < 210  # none lost, none doubled
    desk.control("faults", {"stream": {"reorder_rate": 0.0, "close_after": 5}}, method="PUT")
    ws, _, _ = open_stream(desk, {"type": "subscribe"})
    desk.control("burst", {"ticks": 50})
    assert len(frames(ws, 5)) == 5
    assert close_code(ws) == 1011
    ws.close()
