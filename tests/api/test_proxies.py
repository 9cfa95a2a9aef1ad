"""Whose address a request comes from: the connection's, unless it comes through a proxy the
operator named (QI_API_TRUSTED_PROXIES); by default no one on this machine can claim another
address with `X-Forwarded-For` and slip past the throttle of failed authentication."""

from __future__ import annotations

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.app import server_config
from core.settings import Settings


def _loaded(**values: object) -> object:
    config = server_config(FastAPI(), Settings(_env_file=None, **values))  # type: ignore[call-arg]
    config.load()
    return config.loaded_app


def _wraps_proxy_headers(app: object) -> bool:
    while app is not None:
        if isinstance(app, ProxyHeadersMiddleware):
            return True
        app = getattr(app, "app", None)
    return False


def test_no_forwarded_address_is_believed_by_default() -> None:
    assert not _wraps_proxy_headers(_loaded())


def test_only_the_named_proxies_are_believed() -> None:
    app = _loaded(api_trusted_proxies="10.0.0.5, 10.0.0.6")

    assert _wraps_proxy_headers(app)
    proxy = app
    while not isinstance(proxy, ProxyHeadersMiddleware):
        proxy = proxy.app  # type: ignore[attr-defined]
    assert proxy.trusted_hosts.always_trust is False
    assert "10.0.0.5" in proxy.trusted_hosts
    assert "127.0.0.1" not in proxy.trusted_hosts
