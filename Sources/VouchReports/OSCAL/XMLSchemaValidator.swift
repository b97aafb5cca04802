import CLibXML2
import Foundation

/// What libxml2 said about one line of a document or schema.
public struct XMLIssue: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// libxml2's return codes and error reports, as a typed error.
public enum XMLValidationError: Error, LocalizedError, Sendable, Equatable {
    /// The XSD file is missing or libxml2 could not compile it.
    case schemaUnusable(path: String, issues: [XMLIssue])
    /// The document is not well-formed XML.
    case notWellFormed(name: String, issues: [XMLIssue])
    /// The document is well-formed but breaks the schema.
    case invalid(name: String, schema: String, issues: [XMLIssue])

    public var errorDescription: String? {
        func list(_ issues: [XMLIssue]) -> String {
            issues.prefix(10).map { "\n  \($0)" }.joined() + (issues.count > 10 ? "\n  … and \(issues.count - 10) more" : "")
        }
        switch self {
        case .schemaUnusable(let path, let issues):
            return "cannot use the XML schema \(path): it is missing or does not compile; pass the folder holding the NIST OSCAL XSDs."
                + list(issues)
        case .notWellFormed(let name, let issues):
            return "\(name) is not well-formed XML; this is a bug in the writer, please report it." + list(issues)
        case .invalid(let name, let schema, let issues):
            return "\(name) does not validate against \(schema) (\(issues.count) problem(s)):" + list(issues)
        }
    }
}

/// Validates XML against an XSD through libxml2 (never touches the network).
public final class XMLSchemaValidator: @unchecked Sendable {
    public let schemaPath: String
    private let schema: xmlSchemaPtr
    private let lock = NSLock()

    /// Compiles the schema once; reuse the validator for many documents.
    public init(schemaPath: String) throws {
        self.schemaPath = schemaPath
        guard FileManager.default.fileExists(atPath: schemaPath) else {
            throw XMLValidationError.schemaUnusable(path: schemaPath, issues: [XMLIssue(line: 0, message: "no such file")])
        }
        let collector = IssueCollector()
        guard let parser = xmlSchemaNewParserCtxt(schemaPath) else {
            throw XMLValidationError.schemaUnusable(path: schemaPath, issues: [])
        }
        defer { xmlSchemaFreeParserCtxt(parser) }
        let box = Unmanaged.passUnretained(collector).toOpaque()
        xmlSchemaSetParserStructuredErrors(parser, { ctx, error in IssueCollector.record(ctx, error) }, box)
        guard let compiled = xmlSchemaParse(parser) else {
            throw XMLValidationError.schemaUnusable(path: schemaPath, issues: collector.issues)
        }
        schema = compiled
    }

    deinit { xmlSchemaFree(schema) }

    /// Validates a document held in memory; `name` appears in errors (e.g. the output file name).
    public func validate(_ data: Data, name: String) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let parser = xmlNewParserCtxt() else { throw XMLValidationError.notWellFormed(name: name, issues: []) }
        defer { xmlFreeParserCtxt(parser) }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let doc: xmlDocPtr? = data.withUnsafeBytes { raw in
            xmlCtxtReadMemory(parser, raw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count), name, nil, options)
        }
        guard let doc else {
            let e = parser.pointee.lastError
            let message = e.message.map { String(cString: $0) } ?? "unreadable"
            throw XMLValidationError.notWellFormed(name: name, issues: [XMLIssue(line: Int(e.line), message: Self.trim(message))])
        }
        defer { xmlFreeDoc(doc) }
        guard let valid = xmlSchemaNewValidCtxt(schema) else {
            throw XMLValidationError.schemaUnusable(path: schemaPath, issues: [])
        }
        defer { xmlSchemaFreeValidCtxt(valid) }
        let collector = IssueCollector()
        xmlSchemaSetValidStructuredErrors(valid, { ctx, error in IssueCollector.record(ctx, error) },
                                          Unmanaged.passUnretained(collector).toOpaque())
        let rc = withExtendedLifetime(collector) { xmlSchemaValidateDoc(valid, doc) }
        if rc != 0 {
            let issues = collector.issues.isEmpty ? [XMLIssue(line: 0, message: "libxml2 returned \(rc)")] : collector.issues
            throw XMLValidationError.invalid(name: name, schema: (schemaPath as NSString).lastPathComponent, issues: issues)
        }
    }

    /// Validates a file.
    public func validate(fileAt path: String) throws {
        try validate(try Data(contentsOf: URL(fileURLWithPath: path)), name: path)
    }

    static func trim(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Collects libxml2's structured errors (the C callback captures nothing: the collector travels as `ctx`).
private final class IssueCollector {
    var issues: [XMLIssue] = []

    /// libxml2 before 2.12 passes a mutable pointer, later versions a const one.
    static func record(_ ctx: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<xmlError>?) {
        record(ctx, error.map { UnsafePointer($0) })
    }

    static func record(_ ctx: UnsafeMutableRawPointer?, _ error: UnsafePointer<xmlError>?) {
        guard let ctx, let error else { return }
        let me = Unmanaged<IssueCollector>.fromOpaque(ctx).takeUnretainedValue()
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        if me.issues.count < 1000 {
            me.issues.append(XMLIssue(line: Int(error.pointee.line), message: XMLSchemaValidator.trim(message)))
        }
    }
}

/// Validates Vouch's OSCAL outputs against a folder holding the NIST OSCAL XSDs.
public enum OSCALValidation {
    public static let resultsSchema = "oscal_assessment-results_schema.xsd"
    public static let planSchema = "oscal_assessment-plan_schema.xsd"

    /// Validates the assessment results and plan; throws the first document's problems.
    public static func validate(results: Data, plan: Data, schemaDirectory: String,
                                resultsName: String = "report.xml", planName: String = OSCALWriter.planFileName) throws {
        let dir = URL(fileURLWithPath: schemaDirectory)
        try XMLSchemaValidator(schemaPath: dir.appendingPathComponent(resultsSchema).path).validate(results, name: resultsName)
        try XMLSchemaValidator(schemaPath: dir.appendingPathComponent(planSchema).path).validate(plan, name: planName)
    }
}
