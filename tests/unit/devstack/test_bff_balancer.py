"""The BFF balancer: its nginx configuration, the stack's BFF tier, and real nginx routing by session id."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from flux.bff.instance import SID_SEPARATOR, name_this_instance
from flux.devstack.balancer import BffBalancer, find_nginx
from flux.devstack.nginx_conf import render_nginx_conf, upstream_name
from flux.devstack.ports import free_port
from flux.devstack.stack import DevStack, StackPorts
from flux.settings import Settings

needs_nginx = pytest.mark.skipif(find_nginx() is None, reason="nginx not installed (apt-get install nginx)")


def test_config_pins_each_session_to_its_instance_with_the_others_as_backup(tmp_path: Path) -> None:
    conf = render_nginx_conf(prefix=tmp_path, listen_port=8000, instances=[("bff-1", 8011), ("bff-2", 8012)])
    assert "listen 127.0.0.1:8000;" in conf
    assert "daemon off;" in conf and f"pid {tmp_path / 'nginx.pid'};" in conf
    assert "map $arg_sid $flux_bff_upstream" in conf
    upstream = conf[conf.index(f"upstream {upstream_name('bff-1')} {{") :]
    upstream = upstream[: upstream.index("}")]
    assert "127.0.0.1:8011 max_fails=1 fail_timeout=2s;" in upstream
    assert "127.0.0.1:8012 max_fails=1 fail_timeout=2s backup;" in upstream
    assert "least_conn;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    timeout = int(re.search(r"proxy_read_timeout (\d+)s;", conf).group(1))  # type: ignore[union-attr]
    assert timeout > 40  # Engine.IO's ping interval + ping timeout by default
    assert "/etc/nginx" not in conf and "/var/" not in conf


def test_the_map_matches_the_session_ids_a_named_instance_issues(tmp_path: Path) -> None:
    conf = render_nginx_conf(prefix=tmp_path, listen_port=1, instances=[("bff-1", 2), ("bff-12", 3)])
    patterns = dict(
        (m.group(2), re.compile(m.group(1))) for m in re.finditer(r"~(\S+) (flux_bff_\w+);", conf)
    )

    class Engine:
        def generate_id(self) -> str:
            return "Xk3-aQ9_tBw"

    engine = Engine()
    name_this_instance("bff-12", engine, web.Application())
    sid = engine.generate_id()
    assert sid == f"bff-12{SID_SEPARATOR}Xk3-aQ9_tBw"
    matching = [upstream for upstream, pattern in patterns.items() if pattern.search(sid)]
    assert matching == [upstream_name("bff-12")]


def test_bad_instance_lists_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        render_nginx_conf(prefix=tmp_path, listen_port=1, instances=[])
    with pytest.raises(ValueError, match="must match"):
        render_nginx_conf(prefix=tmp_path, listen_port=1, instances=[("bff.1", 2)])


def test_one_instance_is_the_plain_bff_and_several_get_a_balancer(tmp_path: Path) -> None:
    single = DevStack(Settings(), home=tmp_path / "one", ports=StackPorts.ephemeral(), jars_cache=tmp_path)
    assert list(single.bff_instances) == ["bff"] and single.balancer is None
    assert single.bff_url == single.apps["bff"].url == f"http://127.0.0.1:{single.ports.bff}"
    assert "FLUX_BFF_INSTANCE_NAME" not in single.apps["bff"].env

    ports = StackPorts.ephemeral(bff_instances=2)
    cluster = DevStack(
        Settings(), home=tmp_path / "two", ports=ports, jars_cache=tmp_path, with_services=False
    )
    assert list(cluster.apps) == ["bff-1", "bff-2"]
    assert cluster.balancer is not None and cluster.balancer.port == ports.bff
    assert cluster.bff_url == f"http://127.0.0.1:{ports.bff}"
    assert [p.port for p in cluster.bff_instances.values()] == list(ports.bff_instances)
    assert cluster.apps["bff-2"].env["FLUX_BFF_INSTANCE_NAME"] == "bff-2"
    assert cluster.apps["bff-2"].env["FLUX_BFF_TRUSTED_PROXIES"] == '["127.0.0.1"]'
    assert cluster.components()[-1] is cluster.balancer  # started last, stopped first


def test_instance_ports_come_from_the_settings() -> None:
    ports = StackPorts.from_settings(Settings(bff_instances=3, bff_instance_base_port=9010, bff_port=9000))
    assert ports.bff == 9000 and ports.bff_instances == (9011, 9012, 9013)
    assert StackPorts.from_settings(Settings()).bff_instances == ()


async def _instance(name: str) -> tuple[web.AppRunner, int]:
    async def who(_: web.Request) -> web.Response:
        return web.Response(text=name)

    app = web.Application()
    app.router.add_get("/socket.io/", who)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


@pytest.fixture
async def balanced(tmp_path: Path) -> AsyncIterator[tuple[BffBalancer, dict[str, web.AppRunner]]]:
    runners: dict[str, web.AppRunner] = {}
    ports = []
    for name in ("bff-1", "bff-2"):
        runners[name], port = await _instance(name)
        ports.append((name, port))
    balancer = BffBalancer(tmp_path, free_port(), ports)
    balancer.process.tethered = True
    balancer.start()
    try:
        await asyncio.to_thread(balancer.wait_ready)
        yield balancer, runners
    finally:
        balancer.stop()
        for runner in runners.values():
            await runner.cleanup()


@needs_nginx
async def test_real_nginx_pins_sessions_balances_the_rest_and_fails_over(
    balanced: tuple[BffBalancer, dict[str, web.AppRunner]],
) -> None:
    balancer, runners = balanced
    url = balancer.url + "/socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as http:

        async def served_by(query: str = "") -> str:
            async with http.get(url + query) as response:
                assert response.status == 200
                return await response.text()

        assert {await served_by("&sid=bff-2.abc") for _ in range(10)} == {"bff-2"}
        assert {await served_by("&sid=bff-1.abc") for _ in range(10)} == {"bff-1"}
        spread = Counter([await served_by() for _ in range(10)])
        assert set(spread) == {"bff-1", "bff-2"}
        await runners.pop("bff-1").cleanup()  # the instance dies
        assert {await served_by("&sid=bff-1.abc") for _ in range(5)} == {"bff-2"}  # its backup
        assert {await served_by() for _ in range(5)} == {"bff-2"}
    log = balancer.access_log.read_text()
    assert "upstream=127.0.0.1:" in log
    assert balancer.process.alive() and balancer.status().ready
