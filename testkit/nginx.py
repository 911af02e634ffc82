"""Debian's nginx in front of a served site, with the very configuration the deployment guide shows (docs/nginx.conf),
its placeholders filled as ``envsubst`` fills them, and a self-signed certificate for ``localhost``."""

import datetime
import ipaddress
import os
import re
import shutil
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .network import free_port, wait_until_listening
from .processes import PROJECT_DIR, Process
from .services import Service

SITE_CONFIGURATION = PROJECT_DIR / "docs" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's, in sbin: not on an ordinary user's PATH
PLACEHOLDER = re.compile(r"\$\{(VITAE_[A-Z_]+)\}")

# What the machine's /etc/nginx/nginx.conf would hold; every path in the test's folder, so nothing is shared.
MAIN_CONFIGURATION = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
{user}
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    proxy_temp_path {folder}/proxy-temp;
    fastcgi_temp_path {folder}/fastcgi-temp;
    uwsgi_temp_path {folder}/uwsgi-temp;
    scgi_temp_path {folder}/scgi-temp;
    include {site};
}}
"""


def self_signed_certificate(folder: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A certificate for ``host`` (and 127.0.0.1) and its key, valid for a day; the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = folder / "certificate.pem", folder / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_path, key_path


class Nginx(Service):
    """``with Nginx(folder, app="127.0.0.1:8000") as proxy:`` serves docs/nginx.conf at ``proxy.url`` (HTTPS)."""

    def __init__(self, folder: Path, *, app: str, server_name: str = "localhost") -> None:
        self.folder = folder
        self.server_name = server_name
        self.http_port, self.https_port = free_port(), free_port()
        self.certificate, key = self_signed_certificate(folder, server_name)
        bodies = folder / "bodies"
        bodies.mkdir()
        values = {
            "VITAE_SERVER_NAME": server_name,
            "VITAE_HTTP_PORT": str(self.http_port),
            "VITAE_HTTPS_PORT": str(self.https_port),
            "VITAE_TLS_CERTIFICATE": str(self.certificate),
            "VITAE_TLS_KEY": str(key),
            "VITAE_APP": app,
            "VITAE_BODY_BUFFER": str(bodies),
        }
        site = folder / "vitae.conf"
        site.write_text(PLACEHOLDER.sub(lambda match: values[match[1]], SITE_CONFIGURATION.read_text()))
        main = folder / "nginx.conf"
        # As root, nginx's workers would run as "nobody", who cannot write the test's folders.
        user = "user root;" if os.geteuid() == 0 else ""
        main.write_text(MAIN_CONFIGURATION.format(folder=folder, site=site, user=user))
        command = [NGINX, "-p", str(folder), "-c", str(main), "-e", str(folder / "error.log")]
        self.process = Process("nginx", command, dict(os.environ), folder)

    @property
    def url(self) -> str:
        return f"https://{self.server_name}:{self.https_port}"

    @property
    def plain_url(self) -> str:
        return f"http://{self.server_name}:{self.http_port}"

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this proxy's certificate (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.certificate))

    def start(self) -> None:
        self.process.start()
        wait_until_listening(self.https_port)

    def stop(self) -> None:
        self.process.stop()
