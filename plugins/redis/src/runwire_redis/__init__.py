"""runwire-redis: cancellation across processes."""

from runwire_redis.cancellation import RedisCancellation

__all__ = ["RedisCancellation"]
