import Foundation
import Testing
@testable import Realtime

@Suite struct BusinessHoursTests {
    let hours = Widget.BusinessHours(timeZone: "Asia/Shanghai", weekly: [
        .init(day: 1, open: "09:00", close: "18:00"),
        .init(day: 6, open: "10:00", close: "12:30"),
    ])

    /// 2026-11-23 is a Monday; Shanghai is UTC+8.
    @Test(arguments: [
        ("2026-11-23T01:00:00Z", true),   // Monday 09:00 in Shanghai
        ("2026-11-23T00:59:00Z", false),  // Monday 08:59
        ("2026-11-23T09:59:00Z", true),   // Monday 17:59
        ("2026-11-23T10:00:00Z", false),  // Monday 18:00: closing time is not open
        ("2026-11-28T02:30:00Z", true),   // Saturday 10:30
        ("2026-11-29T02:30:00Z", false),  // Sunday
        ("2026-11-22T17:00:00Z", false),  // Monday 01:00 in Shanghai, still Sunday in UTC
    ])
    func isOpenInTheWidgetsTimeZone(utc: String, open: Bool) throws {
        #expect(hours.isOpen(at: try Date(utc, strategy: .iso8601)) == open)
    }

    @Test func parsesClockTimes() {
        #expect(Widget.BusinessHours.minutes("09:30") == 570)
        #expect(Widget.BusinessHours.minutes("24:00") == 1440)
        #expect(Widget.BusinessHours.minutes("24:01") == nil)
        #expect(Widget.BusinessHours.minutes("9:30") == nil)
        #expect(Widget.BusinessHours.minutes("ab:cd") == nil)
    }
}
