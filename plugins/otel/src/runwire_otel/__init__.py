"""runwire-otel: runs as OpenTelemetry traces."""

from runwire_otel.sink import OtelSink

__all__ = ["OtelSink"]
