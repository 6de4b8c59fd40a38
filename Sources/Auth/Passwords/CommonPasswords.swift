/// Common passwords of 10 or more characters (shorter ones already fail the length rule),
/// drawn from public breach-frequency lists, Chinese ones included. Compared in lower case.
enum CommonPasswords {
    static let all: Set<String> = [
        "0000000000", "0123456789", "1111111111", "1122334455", "11223344556", "1212121212",
        "1234512345", "1234567890", "12345678910", "123456789a", "123456abcd", "1234qwerty",
        "123qweasdzxc", "1472583690", "1q2w3e4r5t", "1q2w3e4r5t6y", "1qaz2wsx3edc", "2222222222",
        "3141592653", "5201314520", "5555555555", "6666666666", "7777777777", "8888888888",
        "88888888888", "9876543210", "9999999999", "a123456789", "a1234567890", "aa12345678",
        "abc1234567", "abc123456789", "abcd123456", "abcdefghij", "admin12345", "admin123456",
        "administrator", "administrator1", "aini1314520", "asdfghjkl1", "asdfghjkl123", "autumn2024",
        "autumn2026", "baseball123", "basketball", "batman1234", "changeme!!", "changeme123",
        "computer12", "customer123", "demo123456", "dragon1234", "football123", "guest12345",
        "harley1234", "helpdesk123", "hunter1234", "iloveyou12", "iloveyou123", "internet123",
        "january2026", "jennifer123", "kefu123456", "kefukefu123", "killer1234", "letmein!!!",
        "letmein123", "li123456789", "master1234", "michael123", "monkey1234", "mustang123",
        "mysql12345", "nopassword", "oracle1234", "p@ssw0rd123", "passw0rd123", "password!!",
        "password12", "password123", "password1234", "passwordpassword", "postgres123", "princess12",
        "q1w2e3r4t5", "q1w2e3r4t5y6", "qazwsxedcrfv", "qq123456789", "qweasdzxc123", "qwerty1234",
        "qwerty12345", "qwerty123456", "qwertyuiop", "qwertyuiop1", "ranger1234", "root123456",
        "secret1234", "service123", "shadow1234", "spring2024", "spring2025", "spring2026",
        "starwars123", "summer2024", "summer2025", "summer2026", "sunshine12", "superman123",
        "support123", "test123456", "testtest123", "toor123456", "trustno1234", "user123456",
        "wang123456", "wangyang123", "welcome123", "welcome1234", "whatever12", "winter2024",
        "winter2025", "winter2026", "woaini1314", "zaq12wsxcde", "zhang123456", "zxcvbnm123",
        "zxcvbnm1234",
    ]
}
