/// Search boxes in SQL: a `LIKE` / `ILIKE` pattern that matches text containing `text` literally.
public enum LikePattern {
    /// `%text%` with `\`, `%` and `_` escaped (PostgreSQL's default escape character is `\`).
    public static func containing(_ text: String) -> String {
        "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}
