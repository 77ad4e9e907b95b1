"""[azure] timeout and retries bound the token request too, not only the ARM reads (issue 20).

The real EnvironmentCredential against the Entra stand-in over HTTPS, whose token endpoint answers
only after a long delay. Left to the SDK's defaults (300 s per read, 10 retries) the request waits
for that answer and gets a token; with the configured values it gives up and the probe says why.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from linkready.config import parse_config
from linkready.probes import ProbeContext, Secrets
from linkready.probes.azure import probe
from tests.standins.arm import ArmStandIn
from tests.standins.entra.server import EntraStandIn

#: Far longer than the configured timeout: an answer this late must never be waited for.
TOKEN_DELAY = 40.0


@pytest.fixture
def slow_entra() -> Iterator[tuple[ArmStandIn, EntraStandIn]]:
    with ArmStandIn() as arm, EntraStandIn(arm.ca) as entra:
        entra.token_delay = TOKEN_DELAY
        yield arm, entra


@pytest.mark.parametrize("retries", [0, 1])
def test_a_token_endpoint_that_does_not_answer_ends_by_the_configured_timeout(
    slow_entra: tuple[ArmStandIn, EntraStandIn], monkeypatch: pytest.MonkeyPatch, retries: int,
) -> None:
    arm, entra = slow_entra
    for name, value in entra.env().items():
        monkeypatch.setenv(name, value)
    config = parse_config({
        "managed_instance": {"resource_id": arm.variables["MI_ID"]},
        "azure": {"credential": "environment", "authority": entra.url, "arm_endpoint": arm.url,
                  "verify_tls": arm.ca_bundle, "timeout": 1, "retries": retries},
        "options": {"probe_timeout": 200},
    })
    started = time.monotonic()
    outcome = probe(ProbeContext(config, Secrets(), ["azure"]))
    seconds = time.monotonic() - started
    assert outcome.facts is None
    [error] = outcome.errors
    assert (error.fact, error.kind) == ("azure", "auth"), error
    assert "no Azure token" in error.reason
    # One attempt plus the configured retries, each cut by the read timeout, none waited out.
    assert len(entra.token_requests()) == retries + 1
    assert seconds < TOKEN_DELAY, f"the probe waited {seconds:.1f} s for a token endpoint that does not answer"
    assert arm.requests == []
