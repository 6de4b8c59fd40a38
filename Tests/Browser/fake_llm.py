"""A local OpenAI-compatible provider for the browser journeys: POST /v1/chat/completions answers
with server-sent events in the real wire format, a few characters at a time, slowly enough that
a person (and the test) sees the answer grow."""
from __future__ import annotations

import http.server
import json
import threading
import time


class FakeLLM:
    def __init__(self, answer: str, piece_delay: float = 0.12):
        self.answer = answer
        self.piece_delay = piece_delay
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                text = fake.answer
                for start in range(0, len(text), 3):
                    piece = {"choices": [{"index": 0, "delta": {"content": text[start:start + 3]}, "finish_reason": None}]}
                    self.chunk("data: " + json.dumps(piece, ensure_ascii=False) + "\n\n")
                    time.sleep(fake.piece_delay)
                self.chunk("data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True, name="fake-llm").start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
