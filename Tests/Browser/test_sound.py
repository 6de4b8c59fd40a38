"""The chime: two soft rising tones (880 Hz, then 1318.5 Hz) when a message comes and nobody is
looking — the workspace in a background tab, the widget closed — and silence otherwise."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from harness import messages, visitor_writes_agent_opens
from test_workspace_actions import BACKGROUND_TAB

# Every oscillator started, by frequency: the chime is made with Web Audio, not a sound file.
TONES = """(() => {
  window.__tones = [];
  const proto = (window.AudioContext || window.webkitAudioContext).prototype;
  const create = proto.createOscillator;
  proto.createOscillator = function () {
    const oscillator = create.call(this);
    const start = oscillator.start.bind(oscillator);
    oscillator.start = (...args) => { window.__tones.push(oscillator.frequency.value); return start(...args); };
    return oscillator;
  };
})();"""

CHIME = [880, 1318.5]


def test_a_message_chimes_only_where_nobody_is_looking(kefu, site, standby, contexts):
    agent_context, visitor_context = contexts(), contexts()
    for context in (agent_context, visitor_context):
        context.add_init_script(TONES)
    agent_context.add_init_script(BACKGROUND_TAB)
    agent, visitor = agent_context.new_page(), visitor_context.new_page()
    name = f"Chime {uuid.uuid4().hex[:6]}"
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Hello there")
    box = panel.get_by_role("textbox", name="Message")

    # The agent looks elsewhere: the visitor's next message chimes there.
    agent.evaluate("__tab.set(true)")
    before = len(agent.evaluate("__tones"))
    box.fill("Anyone?")
    box.press("Enter")
    agent.wait_for_function("n => __tones.length >= n + 2", arg=before)
    assert agent.evaluate("__tones")[before:before + 2] == CHIME

    # Back on the tab, more than the two quiet seconds later: silence.
    agent.evaluate("__tab.set(false)")
    agent.wait_for_timeout(2100)
    heard = len(agent.evaluate("__tones"))
    box.fill("Still here")
    box.press("Enter")
    expect(messages(agent)).to_contain_text("Still here")
    agent.wait_for_timeout(300)
    assert len(agent.evaluate("__tones")) == heard, "a chime while the agent was looking"

    # The visitor closes the widget: the agent's reply chimes on the visitor's page.
    visitor.evaluate("Kefu.close()")
    quiet = len(visitor.evaluate("__tones"))
    composer = agent.get_by_role("textbox", name="Message")
    composer.fill("Yes, I'm here")
    composer.press("Enter")
    visitor.wait_for_function("n => __tones.length >= n + 2", arg=quiet)
    assert visitor.evaluate("__tones")[quiet:quiet + 2] == CHIME
