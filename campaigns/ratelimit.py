"""Per-minute release limits: one per provider account and channel, one per smoove account.

A provider's limit (an SES account's sending rate, a Twilio sender's pace)
is shared by every smoove account that sends through the same credentials,
so pulses reserve room under two sliding one-minute windows before they are
released: the provider account's (CAMPAIGNS_MAX_PER_MINUTE) and the smoove
account's (CAMPAIGNS_ACCOUNT_MAX_PER_MINUTE, by default the same numbers),
which keeps one tenant from taking the whole provider limit when an operator
sets it lower.

With Redis (REDIS_URL) the windows are sorted sets, checked and taken in one
Lua script, so any number of ticks on any number of hosts agree. Embedded,
with one process tree and no Redis, they are counted from released
recipients in the database.
"""

import datetime
import hashlib
import threading
import uuid
from typing import Any

from django.conf import settings

from campaigns.backends import provider_account
from campaigns.models import Recipient

WINDOW = datetime.timedelta(minutes=1)
KEY_PREFIX = "smoove:campaigns:rate:"

# KEYS: the provider window, the account window. ARGV: now (ms), window (ms),
# requested, provider limit, account limit (0: none), a unique member id.
# Each member is "<id>:<count>" scored by its time; entries older than the
# window are dropped, the rest summed, and the grant is recorded in both.
_RESERVE_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local granted = tonumber(ARGV[3])
local limits = {tonumber(ARGV[4]), tonumber(ARGV[5])}
for i = 1, 2 do
  if limits[i] > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
    local used = 0
    for _, member in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
      used = used + tonumber(string.match(member, ':(%d+)$'))
    end
    granted = math.min(granted, math.max(limits[i] - used, 0))
  end
end
if granted > 0 then
  for i = 1, 2 do
    if limits[i] > 0 then
      redis.call('ZADD', KEYS[i], now, ARGV[6] .. ':' .. granted)
      redis.call('PEXPIRE', KEYS[i], window * 2)
    end
  end
end
return granted
"""

_client_lock = threading.Lock()
_clients: dict[str, Any] = {}


def _redis() -> Any:
    """Return a Redis client for REDIS_URL, one per process and URL."""
    import redis

    url = settings.REDIS_URL
    with _client_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=5)
        return _clients[url]


def limits(channel: str) -> tuple[int, int]:
    """Return the (provider account, smoove account) limits per minute, where 0 means no limit."""
    provider = int(settings.CAMPAIGNS_MAX_PER_MINUTE.get(channel) or 0)
    per_account = getattr(settings, "CAMPAIGNS_ACCOUNT_MAX_PER_MINUTE", None) or {}
    account = int(per_account.get(channel, provider) or 0)
    return max(provider, 0), max(account, 0)


def window_keys(channel: str, account_id: int) -> tuple[str, str]:
    """Return the Redis keys of the provider account's and the smoove account's windows."""
    # The identity contains hostnames and key ids, so only its digest goes to Redis.
    identity = hashlib.sha256(provider_account(channel).encode()).hexdigest()[:20]
    return (
        f"{KEY_PREFIX}{channel}:provider:{identity}",
        f"{KEY_PREFIX}{channel}:account:{account_id}",
    )


def reserve(channel: str, account_id: int, requested: int, now: datetime.datetime) -> int:
    """Take room for up to `requested` releases at `now` and return how many fit."""
    provider_limit, account_limit = limits(channel)
    if requested <= 0 or (not provider_limit and not account_limit):
        return max(requested, 0)
    if settings.REDIS_URL:
        granted = _redis().eval(
            _RESERVE_SCRIPT,
            2,
            *window_keys(channel, account_id),
            int(now.timestamp() * 1000),
            int(WINDOW.total_seconds() * 1000),
            requested,
            provider_limit,
            account_limit,
            uuid.uuid4().hex,
        )
        return int(granted)
    return _reserve_from_database(
        channel, account_id, requested, now, provider_limit, account_limit
    )


def _reserve_from_database(
    channel: str,
    account_id: int,
    requested: int,
    now: datetime.datetime,
    provider_limit: int,
    account_limit: int,
) -> int:
    # Embedded mode has one backend configuration, so every account on
    # this installation shares the provider window.
    recent = Recipient.objects.filter(
        send__message__channel=channel, released_at__gt=now - WINDOW, released_at__lte=now
    )
    granted = requested
    if provider_limit:
        granted = min(granted, max(provider_limit - recent.count(), 0))
    if account_limit:
        used = recent.filter(account_id=account_id).count()
        granted = min(granted, max(account_limit - used, 0))
    return granted


def reset() -> None:
    """Forget every window in Redis; tests call this so one test's sends do not slow the next."""
    if not settings.REDIS_URL:
        return
    client = _redis()
    keys = list(client.scan_iter(match=f"{KEY_PREFIX}*", count=500))
    if keys:
        client.delete(*keys)
