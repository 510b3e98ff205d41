"""JWT bearer tokens (a public key, and a JWKS served over HTTP), and `runwire serve` refusing unsafe setups."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rw_server_kit import client, free_port


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(key, sub="carol", kid="k1", **claims):
    payload = {"sub": sub, "exp": int(time.time()) + 300, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_jwt_with_a_public_key(make_server, rsa_key):
    from runwire_server import JWTAuth

    server = make_server(auth=JWTAuth(public_key=public_pem(rsa_key), audience="runwire"))
    with client(server, key=token(rsa_key, aud="runwire")) as carol:
        run = carol.post("/agents/echo/runs", json={"message": "hi", "stream": False}).json()
        assert run["user_id"] == "carol"
        assert carol.get(f"/runs/{run['run_id']}").status_code == 200
    with client(server, key=token(rsa_key, sub="dave", aud="runwire")) as dave:
        assert dave.get(f"/runs/{run['run_id']}").status_code == 404
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad in [token(other, aud="runwire"), token(rsa_key, aud="elsewhere"),
                token(rsa_key, aud="runwire", exp=int(time.time()) - 3600),
                jwt.encode({"sub": "carol", "exp": int(time.time()) + 300, "aud": "runwire"}, "a-shared-secret-of-thirty-two-bytes!", algorithm="HS256")]:
        with client(server, key=bad) as c:
            assert c.get("/agents").status_code == 401


def test_jwt_verified_against_a_jwks_url(make_server, rsa_key):
    from runwire_server import JWTAuth

    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class JWKS(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    jwks = ThreadingHTTPServer(("127.0.0.1", 0), JWKS)
    threading.Thread(target=jwks.serve_forever, daemon=True).start()
    try:
        server = make_server(auth=JWTAuth(jwks_url=f"http://127.0.0.1:{jwks.server_address[1]}/jwks.json"))
        with client(server, key=token(rsa_key)) as carol:
            assert carol.post("/agents/echo/runs", json={"message": "x", "stream": False}).json()["user_id"] == "carol"
        with client(server, key=token(rsa_key, kid="unknown")) as c:
            assert c.get("/agents").status_code == 401
    finally:
        jwks.shutdown()


def args(*argv):
    from runwire_server.plugin import configure_serve

    parser = argparse.ArgumentParser()
    configure_serve(parser)
    return parser.parse_args(["server_app:agents", *argv])


def test_serve_refuses_unsafe_setups(keys_file):
    from runwire_server.plugin import serve_settings

    with pytest.raises(SystemExit, match="without authentication: set RUNWIRE_SERVER_KEYS"):
        serve_settings(args("--host", "0.0.0.0"), environ={})
    with pytest.raises(SystemExit, match="loopback development only"):
        serve_settings(args("--host", "0.0.0.0", "--insecure-no-auth"), environ={})
    with pytest.raises(SystemExit, match="--workers > 1 needs"):
        serve_settings(args("--workers", "2", "--db", "sqlite:///x.db", "--redis", "redis://127.0.0.1"), environ={})
    with pytest.raises(SystemExit, match="--workers > 1 needs"):
        serve_settings(args("--workers", "2", "--db", "postgresql://x/y"), environ={})
    ok = serve_settings(args("--host", "0.0.0.0"), environ={"RUNWIRE_SERVER_KEYS": str(keys_file)})
    assert ok["RUNWIRE_SERVER_TARGET"] == "server_app:agents"
    multi = serve_settings(args("--workers", "2", "--db", "postgresql://x/y"),
                           environ={"RUNWIRE_CANCELLATION": "redis://127.0.0.1:6379/0"})
    assert multi["RUNWIRE_SERVER_REDIS"] == "redis://127.0.0.1:6379/0"
    assert serve_settings(args("--insecure-no-auth"), environ={})["RUNWIRE_SERVER_INSECURE_NO_AUTH"] == "1"


def runwire_cli() -> list[str]:
    return [sys.executable, "-c", "import sys; from runwire.cli import main; sys.exit(main())"]


def test_runwire_serve_serves_over_http_and_refuses_the_network_without_auth(tmp_path, keys_file):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "RUNWIRE_SERVER_KEYS": str(keys_file),
           "RUNWIRE_TEST_GATES": str(tmp_path)}
    env.pop("RUNWIRE_CANCELLATION", None)
    refused = subprocess.run([*runwire_cli(), "serve", "server_app:agents", "--host", "0.0.0.0"], cwd=tmp_path,
                             env={k: v for k, v in env.items() if k != "RUNWIRE_SERVER_KEYS"},
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "refusing to serve on 0.0.0.0 without authentication" in refused.stderr

    port = free_port()
    proc = subprocess.Popen([*runwire_cli(), "serve", "server_app:agents", "--port", str(port),
                             "--db", f"sqlite:///{tmp_path}/cli.db"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        import httpx
        from rw_server_kit import ANN_KEY

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {ANN_KEY}"}) as c:
            for _ in range(600):  # bounded wait for the process to listen
                try:
                    if c.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            out = c.post("/agents/echo/runs", json={"message": "from the cli", "stream": False}).json()
            assert out["content"] == "echo from the cli" and out["user_id"] == "ann"
    finally:
        proc.terminate()
        proc.wait(30)


def test_make_a_hashed_key(capsys, tmp_path):
    from runwire_server import APIKeys
    from runwire_server.plugin import run_key

    run_key(argparse.Namespace(user_id="erin"))
    printed = capsys.readouterr().out.splitlines()
    key = printed[0].rsplit(" ", 1)[1]
    line = printed[-1]
    assert line.startswith("erin:sha256:") and key not in line
    (tmp_path / "keys").write_text(line + "\n")
    assert APIKeys.from_file(tmp_path / "keys").authenticate(key) == "erin"
    assert APIKeys.from_file(tmp_path / "keys").authenticate(key + "x") is None
