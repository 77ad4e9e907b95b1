"""One Jinja environment per process, and each template compiled once even when threads race for it."""

from __future__ import annotations

import threading

import jinja2
from linkready.reports import html


def test_environment_is_built_once_and_shared() -> None:
    assert html.environment() is html.environment()
    assert html._env() is html.environment()


def test_threads_racing_for_a_template_compile_it_once() -> None:
    env = html._build_environment()
    env.bytecode_cache = None  # count the compiler itself, not a bytecode cache hit
    compiled: list[str] = []
    real_compile = jinja2.Environment.compile

    def counting_compile(self: jinja2.Environment, source: str, name: str | None = None,
                         filename: str | None = None, raw: bool = False, defer_init: bool = False) -> object:
        compiled.append(str(name))
        return real_compile(self, source, name, filename, raw, defer_init)  # type: ignore[call-overload]

    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        env.get_template("report.html")

    jinja2.Environment.compile = counting_compile  # type: ignore[assignment,method-assign]
    try:
        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        jinja2.Environment.compile = real_compile  # type: ignore[method-assign]
    assert compiled.count("report.html") == 1, compiled
