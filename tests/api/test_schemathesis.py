"""Property-based tests of the whole HTTP API from its OpenAPI schema (schemathesis): for inputs
generated from the schema, valid and invalid, no response is a 5xx and every response matches
what the schema declares (status code, content type, headers, body).

The app runs over the session's indexed store with no rate limit and no admin key, so admin
operations are exercised too and answer 401 without touching the store; ratings go to a private
SQLite file. The app object exists at import time (schemathesis reads its schema while tests are
collected; its lazy `from_fixture` loader does not work with pytest 9), and a fixture wires it to
the indexed store before any request is made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.app import create_app
from assistant.container import Container
from assistant.settings import Settings
from tests.api.conftest import container_for
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 25
CALLS: Counter[str] = Counter()

APP = create_app(
    Container(Settings(_env_file=None, api={"rate_limit": "", "warm_up": False}))  # type: ignore[call-arg]
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
# A body over the size limit is rejected with 413 before it is parsed: a rejection too.
schema.config.checks.negative_data_rejection.expected_statuses = [
    *schema.config.checks.negative_data_rejection.expected_statuses,
    "413",
]


@pytest.fixture(scope="module", autouse=True)
def wired(indexed: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    placeholder = APP.state.container
    feedback = Path(tmp_path_factory.mktemp("schemathesis")) / "feedback.sqlite3"
    APP.state.container = container_for(indexed, feedback, rate_limit="", warm_up=False)
    yield
    APP.state.container = placeholder
    total = sum(CALLS.values())
    print(f"\nschemathesis: {total} requests over {len(CALLS)} operations: {dict(CALLS)}")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Schema-valid requests may still be refused on purpose (a conversation ending with an
    # assistant message, a blank question): those are 422s, which the other checks validate.
    CALLS[f"{case.method} {case.path}"] += 1
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
