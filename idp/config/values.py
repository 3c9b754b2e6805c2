"""Reading one environment value: durations, booleans, integers, origins, networks, and the
error that names the variable."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlparse


class ConfigError(Exception):
    """A configuration value is missing or unsafe; the message names the variable."""


_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)?\s*$")
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(name: str, value: str) -> int:
    """'15m', '7d', '3600' (seconds) -> seconds."""
    match = _DURATION.match(value or "")
    if not match:
        raise ConfigError(f"{name}: cannot read duration {value!r} (use e.g. 900, 15m, 7d)")
    return max(1, int(int(match.group(1)) * _UNIT_SECONDS[match.group(2)]))


def _duration_or_zero(name: str, value: str) -> int:
    """A duration where 0 means "never" / "off" (AUDIT_RETENTION=0 keeps audit events)."""
    return 0 if (value or "").strip() in ("0", "0s", "0d") else parse_duration(name, value)


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None


def _address(name: str, value: str) -> str:
    """A listen address: an IP literal (0.0.0.0 or :: for every interface), or empty."""
    if value:
        try:
            return str(ipaddress.ip_address(value.strip().strip("[]")))
        except ValueError:
            raise ConfigError(f"{name}: expected an IP address to listen on, got {value!r}") from None
    return value


def _origin(value: str) -> str | None:
    """The origin of an http(s) URL as a browser sends it in Origin (RFC 6454 6.2: lower-case scheme and
    host, the port only when it is not the scheme's default), or None."""
    try:
        parsed = urlparse(value)
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.username or parsed.password:
        return None
    host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
    default = {"http": 80, "https": 443}[parsed.scheme]
    return f"{parsed.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def _algs(value: str) -> tuple:
    algs = tuple(a.strip() for a in value.split(",") if a.strip())
    unknown = [a for a in algs if a not in ("RS256", "ES256", "EdDSA")]
    if unknown or "RS256" not in algs:
        raise ConfigError(f"KEY_ALGORITHMS: {value!r} (RS256 is required; ES256 and EdDSA may be added)")
    return algs
def _networks(name: str, value: str) -> tuple[str, ...]:
    """'10.0.0.0/8, 127.0.0.1' -> normalized networks; '*' trusts every peer (only behind a private network)."""
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    if items == ("*",):
        return items
    try:
        return tuple(str(ipaddress.ip_network(item, strict=False)) for item in items)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def is_loopback_url(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def otlp_traces_endpoint(env) -> str:
    """Where OTLP/HTTP traces go, from the OpenTelemetry variables themselves (empty: tracing off).

    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the full URL; OTEL_EXPORTER_OTLP_ENDPOINT is a base to
    which the signal's path `/v1/traces` is appended (the OTLP exporter specification).
    OTEL_SDK_DISABLED=true turns everything off. Resolved here, once, because a manifest that
    lists a variable empty must mean "unset", which the SDK would read as an empty URL."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ""
    traces = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    url = traces or (base.rstrip("/") + "/v1/traces" if base else "")
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.username or parsed.password:
            name = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" if traces else "OTEL_EXPORTER_OTLP_ENDPOINT"
            raise ConfigError(f"{name}: {url!r} is not an http(s) URL (credentials go in OTEL_EXPORTER_OTLP_HEADERS)")
    return url
