"""``flux registry``'s REST client: requests it sends and how each registry answer maps to an exit code."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from flux.cli.errors import CliError, ExitCode
from flux.cli.registry_client import RegistryHttp, SchemaVersion
from flux.settings import Settings

Handler = Callable[[httpx.Request], httpx.Response]


def registry(handler: Handler) -> RegistryHttp:
    client = httpx.Client(base_url="http://registry.test", transport=httpx.MockTransport(handler))
    return RegistryHttp(client, "http://registry.test")


def answer(status: int, body: object) -> Handler:
    return lambda request: httpx.Response(status, json=body)


def failure(registry_http: RegistryHttp, call: Callable[[RegistryHttp], object]) -> CliError:
    with pytest.raises(CliError) as exc:
        call(registry_http)
    return exc.value


def test_subjects_with_prefix_and_deleted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=["a-value"])

    assert registry(handler).subjects(prefix="a", deleted=True) == ["a-value"]
    assert seen[0].url.path == "/subjects"
    assert dict(seen[0].url.params) == {"subjectPrefix": "a", "deleted": "true"}


def test_version_level_and_verbose_compatibility() -> None:
    seen: list[httpx.Request] = []
    body = {"subject": "a/b-value", "version": 2, "id": 9, "schemaType": "PROTOBUF", "schema": "syntax"}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.startswith("/config/"):
            return httpx.Response(200, json={"compatibilityLevel": "FULL"})
        if request.method == "POST":
            return httpx.Response(200, json={"is_compatible": False, "messages": ["m1"]})
        return httpx.Response(200, json=body)

    http = registry(handler)
    version = http.version("a/b-value", "latest")
    assert version == SchemaVersion("a/b-value", 2, 9, "PROTOBUF", "syntax")
    assert seen[0].url.raw_path == b"/subjects/a%2Fb-value/versions/latest"
    assert http.level("a/b-value") == "FULL"
    assert dict(seen[1].url.params) == {"defaultToGlobal": "true"}
    assert http.check_compatibility("a/b-value", 1, version) == (False, ["m1"])
    post = seen[2]
    assert post.url.raw_path == b"/compatibility/subjects/a%2Fb-value/versions/1?verbose=true"
    assert json.loads(post.content) == {"schema": "syntax", "schemaType": "PROTOBUF"}


@pytest.mark.parametrize(
    ("status", "body", "code", "text"),
    [
        (
            404,
            {"error_code": 40401, "message": "Subject 'x' not found."},
            ExitCode.NOT_FOUND,
            "subject 'x' not found",
        ),
        (
            404,
            {"error_code": 40402, "message": "Version 9 not found."},
            ExitCode.NOT_FOUND,
            "subject 'x' has no version 9",
        ),
        (422, {"error_code": 42202, "message": "bad version"}, ExitCode.USAGE, "invalid version '9'"),
        (401, {"error_code": 401, "message": "Unauthorized"}, ExitCode.FAILED, "FLUX_REGISTRY_BASIC_AUTH"),
        (
            503,
            {"error_code": 50002, "message": "replaying"},
            ExitCode.UNAVAILABLE,
            "is unavailable (HTTP 503",
        ),
        (500, "not json", ExitCode.UNAVAILABLE, "is unavailable (HTTP 500"),
        (400, {"message": "odd"}, ExitCode.FAILED, "answered HTTP 400: odd"),
    ],
)
def test_error_answers_become_exit_codes(status: int, body: object, code: ExitCode, text: str) -> None:
    err = failure(registry(answer(status, body)), lambda r: r.version("x", "9"))
    assert err.code is code
    assert text in str(err)


def test_no_answer_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    refused = failure(registry(refuse), lambda r: r.subjects())
    assert refused.code is ExitCode.UNAVAILABLE
    assert str(refused).startswith("cannot reach the schema registry at http://registry.test")
    timed_out = failure(registry(slow), lambda r: r.subjects())
    assert timed_out.code is ExitCode.UNAVAILABLE
    assert "did not answer in time" in str(timed_out)


def test_basic_auth_comes_from_the_settings() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    settings = Settings(registry_url="http://registry.test/", registry_basic_auth=SecretStr("ann:s3:cret"))
    with RegistryHttp.from_settings(settings, transport=httpx.MockTransport(handler)) as http:
        assert http.url == "http://registry.test"
        assert http.subjects() == []
    expected = "Basic " + base64.b64encode(b"ann:s3:cret").decode()
    assert seen[0].headers["Authorization"] == expected
    assert str(seen[0].url) == "http://registry.test/subjects"


def test_without_credentials_no_authorization_is_sent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    with RegistryHttp.from_settings(
        Settings(registry_url="http://r.test"), transport=httpx.MockTransport(handler)
    ) as http:
        http.subjects()
    assert "Authorization" not in seen[0].headers
