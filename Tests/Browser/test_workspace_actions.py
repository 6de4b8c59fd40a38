"""The workspace's own ways of working: snoozing a conversation until a time, the keyboard
shortcuts (next/previous, composer, resolve, lists, the list of shortcuts), and, while the tab is
in the background, desktop notifications and the unread count in the tab title."""
from __future__ import annotations

import datetime
import re
import uuid

from playwright.sync_api import expect

from harness import messages, sign_in, visitor_writes, visitor_writes_agent_opens

# The tab in the background, as the browser would report it; and every desktop notification the
# page creates, recorded (the real one is still made).
BACKGROUND_TAB = """(() => {
  let hidden = false;
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  Document.prototype.hasFocus = () => !hidden;
  window.__tab = {
    set(value) {
      hidden = value;
      document.dispatchEvent(new Event("visibilitychange"));
      window.dispatchEvent(new Event(value ? "blur" : "focus"));
    },
  };
  window.__notifications = [];
  const Real = window.Notification;
  if (Real) {
    window.Notification = class extends Real {
      constructor(title, options = {}) {
        window.__notifications.push({ title, body: options.body || "" });
        super(title, options);
      }
    };
  }
})();"""


def rows(agent):
    return agent.get_by_role("region", name="Conversation list").get_by_role("link")


def list_heading(agent):
    return agent.get_by_role("region", name="Conversation list").get_by_role("heading", level=2)


def test_a_snoozed_conversation_leaves_mine_for_pending_until_the_visitor_writes(kefu, owner, site, standby, contexts):
    name = f"Snooze {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Can you check back on this later?")
    row = agent.get_by_role("link", name=re.compile(re.escape(name)))
    conversation_id = agent.evaluate("location.hash").rsplit("/", 1)[-1]

    agent.get_by_role("button", name="More actions").click()
    agent.get_by_role("menuitem", name="Snooze…").click()
    dialog = agent.get_by_role("dialog", name="Snooze until…")
    expect(dialog).to_be_visible()
    asked = datetime.datetime.now(datetime.timezone.utc)
    dialog.get_by_role("button", name="In 1 hour").click()
    expect(dialog).to_have_count(0)

    expect(messages(agent)).to_contain_text(re.compile("Owner snoozed this until"))
    expect(agent.get_by_role("button", name="More actions")).to_be_visible()
    stored = owner.wait_for("the snoozed conversation", lambda: owner.call("GET", f"/api/v1/conversations/{conversation_id}"),
                            lambda c: c["status"] == "snoozed")
    until = datetime.datetime.fromisoformat(stored["snoozedUntil"].replace("Z", "+00:00"))
    assert abs((until - asked).total_seconds() - 3600) < 120, f"snoozed until {until}, asked at {asked}"

    # Out of Mine; under "Pending & snoozed", with the time it wakes.
    expect(row).to_have_count(0)
    agent.get_by_role("link", name=re.compile("^Pending & snoozed")).click()
    expect(list_heading(agent)).to_have_text("Pending & snoozed")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Snoozed")
    row.click()
    expect(messages(agent)).to_contain_text(re.compile("Owner snoozed this until"))

    # The visitor writes: it opens again and is back in Mine.
    box = panel.get_by_role("textbox", name="Message")
    box.fill("Any news?")
    box.press("Enter")
    expect(messages(agent)).to_contain_text("Reopened: the visitor replied")
    expect(row).to_have_count(0)
    agent.get_by_role("link", name=re.compile("^Mine")).click()
    expect(row).to_be_visible()
    expect(row).to_contain_text("Any news?")


def test_keyboard_moves_through_conversations_focuses_the_composer_resolves_and_lists_the_shortcuts(kefu, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    names = [f"Keys A {tag}", f"Keys B {tag}"]
    agent = contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    for index, name in enumerate(names):
        visitor_writes(contexts().new_page(), site.page("/", "Northwind Outfitters"), name, f"Question {index + 1} from {name}")
        expect(rows(agent).filter(has_text=name)).to_be_visible()
    # Mine, most recent first: B, then A.
    expect(rows(agent).nth(0)).to_contain_text(names[1])
    expect(rows(agent).nth(1)).to_contain_text(names[0])
    current = agent.locator("kefu-conversation-list a[aria-current='true']")
    agent.get_by_role("heading", name="Pick a conversation").click()

    agent.keyboard.press("j")
    expect(current).to_contain_text(names[1])
    expect(messages(agent)).to_contain_text(f"Question 2 from {names[1]}")
    agent.keyboard.press("j")
    expect(current).to_contain_text(names[0])
    expect(messages(agent)).to_contain_text(f"Question 1 from {names[0]}")
    # Each move waits for the conversation to be shown: a key pressed while one still loads may
    # act on the list as it was.
    agent.keyboard.press("k")
    expect(current).to_contain_text(names[1])
    expect(messages(agent)).to_contain_text(f"Question 2 from {names[1]}")
    agent.keyboard.press("Alt+ArrowDown")
    expect(current).to_contain_text(names[0])
    expect(messages(agent)).to_contain_text(f"Question 1 from {names[0]}")
    agent.keyboard.press("Alt+ArrowUp")
    expect(current).to_contain_text(names[1])
    expect(messages(agent)).to_contain_text(f"Question 2 from {names[1]}")

    # R focuses the composer; letters typed there are text, not shortcuts; Escape leaves it.
    composer = agent.get_by_role("textbox", name="Message")
    agent.keyboard.press("r")
    expect(composer).to_be_focused()
    agent.keyboard.type("just a sec")
    expect(composer).to_have_value("just a sec")
    expect(current).to_contain_text(names[1])
    agent.keyboard.press("Enter")
    expect(messages(agent)).to_contain_text("just a sec")
    agent.keyboard.press("Escape")
    expect(composer).not_to_be_focused()

    # E resolves the open conversation.
    agent.keyboard.press("e")
    expect(messages(agent)).to_contain_text("Resolved by Owner")
    expect(agent.get_by_role("button", name="Reopen")).to_be_visible()

    # ? lists the shortcuts; the number keys go to the lists it names.
    agent.keyboard.press("?")
    dialog = agent.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for label in ["Next conversation", "Previous conversation", "Resolve the conversation", "Focus the composer"]:
        expect(dialog).to_contain_text(label)
    views = dialog.locator(".shortcut-row").filter(has_text="Go to a list")
    keys = views.locator("kbd").all_text_contents()
    listed = re.search(r"\((.*)\)", views.locator("dt").inner_text()).group(1).split(", ")
    agent.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert keys[0] == "1" and int(keys[-1]) == len(listed), f"keys {keys} for the lists {listed}"
    for digit, view in enumerate(listed, start=1):
        agent.keyboard.press(str(digit))
        expect(list_heading(agent)).to_have_text(view)


def test_with_the_tab_hidden_a_visitor_message_notifies_and_counts_in_the_title(kefu, site, standby, contexts):
    context = contexts()
    context.grant_permissions(["notifications"], origin=kefu.url)
    context.add_init_script(BACKGROUND_TAB)
    name = f"Notify {uuid.uuid4().hex[:6]}"
    agent, visitor = context.new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "First question")
    assert agent.evaluate("Notification.permission") == "granted"
    expect(agent).to_have_title(f"{name} · Inbox · Kefu")

    # The agent switches to another tab; the visitor writes.
    agent.evaluate("__tab.set(true)")
    box = panel.get_by_role("textbox", name="Message")
    box.fill("Hello? Are you still there?")
    box.press("Enter")
    expect(agent).to_have_title(f"(1) {name} · Inbox · Kefu")
    agent.wait_for_function("() => __notifications.length > 0")
    assert agent.evaluate("__notifications") == [{"title": f"New message from {name}", "body": "Hello? Are you still there?"}]

    # A new conversation while away notifies too.
    other = f"Notify new {uuid.uuid4().hex[:6]}"
    visitor_writes(contexts().new_page(), site.page("/", "Northwind Outfitters"), other, "I have a question too")
    agent.wait_for_function("name => __notifications.some(n => n.title === 'New conversation' && n.body === name)", arg=other)
    expect(agent).to_have_title(f"(2) {name} · Inbox · Kefu")

    # Back on the tab: the open conversation is read, and only the other one still counts.
    agent.evaluate("__tab.set(false)")
    expect(agent).to_have_title(f"(1) {name} · Inbox · Kefu")
    count = agent.evaluate("__notifications.length")
    box.fill("Thanks!")
    box.press("Enter")
    expect(messages(agent)).to_contain_text("Thanks!")
    assert agent.evaluate("__notifications.length") == count, "a notification came while the tab was in front"
