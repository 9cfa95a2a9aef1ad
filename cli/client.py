"""`qi` as a client of the service's HTTP API: every command that reads or drives interventions
goes through it, as the signed-in user (`qi login`). The API decides who the actor is; `qi`
never sends a name.

Uses the standard library's HTTP client, so a command pays for no more than it needs. Every
failure becomes the one error line and its exit code: a refusal or bad input in the options'
terms (`cli.problems`), a missing or expired sign-in, a role that may not, an unreachable
service.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cli.credentials import Credentials, load
from cli.exit_codes import EXIT_FORBIDDEN, EXIT_INVALID, EXIT_NOT_SIGNED_IN, EXIT_UNAVAILABLE
from cli.output import fail

if TYPE_CHECKING:
    from collections.abc import Callable

    from cli.options import FieldOption

    Options = Sequence[FieldOption] | Callable[[], Sequence[FieldOption]]

__all__ = ["Service", "ServiceError", "check_url", "service"]

TIMEOUT_SECONDS = 90.0  # a command waits for its workflow's reply; the API times out first
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def check_url(url: str) -> str:
    """The API's base URL, without a trailing slash; plain http only to this machine, where a
    token cannot be read off the network."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not a web address; give one like http://127.0.0.1:8000")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(f"{url!r} would send your token unencrypted; use https:// for a "
                         "service on another machine (plain http only for 127.0.0.1 or "
                         "localhost)")
    if parts.query or parts.fragment or parts.username:
        raise ValueError(f"{url!r}: give the service's address alone, without a query, "
                         "fragment or user name")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


class ServiceError(Exception):
    """A request that failed: the exit code and the one line that says why."""

    def __init__(self, code: int, line: str) -> None:
        super().__init__(line)
        self.code = code
        self.line = line


class Service:
    """The API at `url`, called with `token`; `options` name what a refusal is about (given
    as a function when they cost something to build, called only to explain one). Each call
    prints the one error line and exits when it fails; `request` raises instead."""

    def __init__(self, url: str, token: str, options: Options = ()) -> None:
        self.url = url
        self._token = token
        self.options = options

    def get(self, path: str, query: Mapping[str, Any] | None = None) -> Any:
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            pairs = [(k, item) for k, v in pairs
                     for item in (v if isinstance(v, list | tuple) else [v])]
            path += "?" + urllib.parse.urlencode(pairs)
        return self._or_fail("GET", path)

    def post(self, path: str, body: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        return self._or_fail("POST", path, body, headers)

    def _or_fail(self, method: str, path: str, body: Any = None,
                 headers: Mapping[str, str] | None = None) -> Any:
        try:
            return self.request(method, path, body, headers)
        except ServiceError as error:
            fail(error.code, error.line)

    def request(self, method: str, path: str, body: Any = None,
                headers: Mapping[str, str] | None = None) -> Any:
        """The answer's JSON (None when it has none); `ServiceError` when it failed."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {}),
            **(headers or {}),
        })
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise self._refused(error, body) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ServiceError(EXIT_UNAVAILABLE, f"cannot reach the service at {self.url} "
                               f"({reason}); is `make run` running, and is this the address "
                               "`qi login` was given?") from None
        return json.loads(payload) if payload else None

    def _refused(self, error: urllib.error.HTTPError, sent: Any) -> ServiceError:
        try:
            problem = json.loads(error.read() or b"{}")
        except (TimeoutError, ValueError):
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        detail = str(problem.get("detail") or error.reason)
        if error.code == 401:
            return ServiceError(EXIT_NOT_SIGNED_IN, f"the service at {self.url} does not accept "
                                "this sign-in (it has expired, been revoked, or the account is "
                                "disabled); run `qi login`")
        if error.code == 429:
            wait = error.headers.get("Retry-After", "a while")
            return ServiceError(EXIT_NOT_SIGNED_IN, "too many failed sign-ins from here; try "
                                f"again in {wait} s")
        if error.code == 403:
            return ServiceError(EXIT_FORBIDDEN, detail)
        if error.code >= 500 and error.code != 503:
            return ServiceError(EXIT_UNAVAILABLE, f"the service at {self.url} failed "
                                f"({error.code}): {detail}")
        from cli.problems import explain_problems
        from models.errors import ErrorType, Problem, ProblemError, problem_type

        kinds = {problem_type(kind): kind for kind in ErrorType}
        kind = kinds.get(str(problem.get("type")), ErrorType.INVALID_INPUT)
        problems = [Problem(field=str(p.get("field", "")), rule=str(p.get("rule", "")))
                    for p in problem.get("problems") or [] if isinstance(p, dict)]
        if not problems:
            problems = [Problem(field="", rule=detail)]
        options = self.options() if callable(self.options) else self.options
        code, line = explain_problems(ProblemError(problems, kind), options, sent)
        return ServiceError(code if error.code != 413 else EXIT_INVALID, line)


def service(options: Options = ()) -> Service:
    """The service `qi login` signed this user in to; one line and exit 5 when nobody has."""
    try:
        stored: Credentials | None = load()
    except OSError as error:
        fail(EXIT_NOT_SIGNED_IN, str(error))
    if stored is None:
        fail(EXIT_NOT_SIGNED_IN, "not signed in: run `qi login` with the service's address, "
             "e.g. `qi login --url http://127.0.0.1:8000` (`make run` says how to get a login)")
    return Service(stored.url, stored.token, options)
