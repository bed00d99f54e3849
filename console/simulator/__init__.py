"""The offline Twilio simulator: REST API subset, signed webhooks, scenarios, demo account.

Public API::

    Simulator(account=DEMO_ACCOUNT, scenario=None)   # state + scenario, bound to one loop
    SimulatorServer(simulator=None).start(host, port) -> base URL; .stop()
    Scenario, Outcome, RecipientRule, Latency, ScheduledInbound, demo_scenario()
    scenario_from_dict(data), load_scenario(path)
    AccountConfig, NumberConfig, ServiceConfig, DEMO_ACCOUNT
    serve_simulator(...), main(args)   # in console.simulator.standalone
"""

from console.simulator.config import (
    DEMO_ACCOUNT,
    AccountConfig,
    NumberConfig,
    ServiceConfig,
)
from console.simulator.core import Simulator
from console.simulator.scenario import (
    Latency,
    Outcome,
    RecipientRule,
    Scenario,
    ScheduledInbound,
    demo_scenario,
)
from console.simulator.scenario_json import ScenarioError, load_scenario, scenario_from_dict
from console.simulator.server import SimulatorServer

__all__ = [
    "DEMO_ACCOUNT",
    "AccountConfig",
    "Latency",
    "NumberConfig",
    "Outcome",
    "RecipientRule",
    "Scenario",
    "ScenarioError",
    "ScheduledInbound",
    "ServiceConfig",
    "Simulator",
    "SimulatorServer",
    "demo_scenario",
    "load_scenario",
    "scenario_from_dict",
]
