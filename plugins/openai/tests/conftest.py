"""Fixtures the openai plugin's tests share."""

import subprocess

import pytest


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for ``localhost`` and its key (trusted where a test sets SSL_CERT_FILE to it)."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"
