from tests import scenario
from tests.workflows.conftest import Harness


async def test_dbg(dev: Harness) -> None:
    status = await dev.service.start(scenario.start_request())
    iid = status.data.intervention_id
    for event, payload in scenario.URGENT_PATH:
        await dev.service.command(iid, event, payload)
    h = dev.client.get_workflow_handle(iid)
    await h.result()
    hist = await h.fetch_history()
    from temporalio.api.enums.v1 import EventType
    for e in hist.events:
        print(e.event_id, EventType.Name(e.event_type))
    print("bytes", len(hist.to_json()))
    print(len(dev.notifier.sent))
