"""Dates and times in the viewer's own regional format and time zone: the same English workspace
reads "1 Dec 2026, 09:05" in Britain and "Dec 1, 2026, 9:05 AM" in the United States."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import sign_in, visitor_writes_agent_opens


def test_dates_follow_the_viewers_region_and_time_zone(kefu, site, standby, contexts):
    name = f"Ada {uuid.uuid4().hex[:6]}"
    british = contexts("en-GB").new_page()
    visitor_writes_agent_opens(british, contexts().new_page(), kefu, site, name, "What are your delivery times?")
    details = british.get_by_role("complementary", name="Visitor details")
    # Day before month, no AM/PM: the British form of the English page.
    expect(details).to_contain_text(re.compile(r"First seen\s*\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}"))

    american = contexts("en-US", timezone_id="America/New_York").new_page()
    sign_in(american, kefu.url, kefu.password)
    row = american.get_by_role("link", name=re.compile(re.escape(name)))
    expect(row).to_be_visible()
    row.click()
    details = american.get_by_role("complementary", name="Visitor details")
    expect(details).to_contain_text(re.compile(r"First seen\s*[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s?[AP]M"))
