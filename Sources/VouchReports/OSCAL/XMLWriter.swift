import Foundation

/// A small, fast XML writer: elements in the order they are written, every text and
/// attribute escaped through `SafeMarkup` (no CDATA is ever emitted, so `]]>` cannot break out).
struct XMLWriter {
    private(set) var out = ""
    private var stack: [String] = []

    init(capacity: Int = 1 << 16) {
        out.reserveCapacity(capacity)
        out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    }

    typealias Attributes = KeyValuePairs<String, String?>

    private mutating func indent() {
        for _ in 0..<stack.count { out += "  " }
    }

    private mutating func startTag(_ name: String, _ attributes: Attributes) {
        out += "<" + name
        for (k, v) in attributes {
            guard let v else { continue }
            out += " " + k + "=\"" + SafeMarkup.escapeAttribute(v) + "\""
        }
    }

    /// Opens an element whose children follow.
    mutating func open(_ name: String, _ attributes: Attributes = [:]) {
        indent()
        startTag(name, attributes)
        out += ">\n"
        stack.append(name)
    }

    mutating func close() {
        let name = stack.removeLast()
        indent()
        out += "</" + name + ">\n"
    }

    /// An element holding only text.
    mutating func leaf(_ name: String, _ text: String, _ attributes: Attributes = [:]) {
        indent()
        startTag(name, attributes)
        out += ">" + SafeMarkup.escapeText(text) + "</" + name + ">\n"
    }

    /// An element with no content.
    mutating func empty(_ name: String, _ attributes: Attributes = [:]) {
        indent()
        startTag(name, attributes)
        out += "/>\n"
    }

    /// A markup-multiline element (`description`, `remarks`): one `<p>` per paragraph.
    mutating func prose(_ name: String, _ paragraphs: [String]) {
        open(name)
        for p in paragraphs where !p.isEmpty { leaf("p", p) }
        if paragraphs.allSatisfy(\.isEmpty) { leaf("p", "-") }
        close()
    }

    /// An OSCAL `prop`: values are single-line, trimmed, non-empty strings.
    mutating func prop(_ name: String, _ value: String, ns: String? = OSCALWriter.namespace) {
        let v = SafeMarkup.oneLine(value)
        empty("prop", ["name": name, "ns": ns, "value": v.isEmpty ? "-" : v])
    }
}
