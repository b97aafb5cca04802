import Foundation

/// Errors of the catalog, the checks and the profile's control sections.
/// Each names the file (and line where known), what is wrong, and what to do.
public enum CatalogError: Error, LocalizedError, Sendable, Equatable {
    case unreadable(path: String, reason: String)
    case yaml(file: String, line: Int?, reason: String)
    case invalid(location: String, reason: String)
    case noControlsDirectory(tried: [String])

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .yaml(let file, let line, let reason):
            return "\(file)\(line.map { ":\($0)" } ?? ""): invalid YAML: \(reason)"
        case .invalid(let location, let reason):
            return "\(location): \(reason)"
        case .noControlsDirectory(let tried):
            return "no controls catalog found (tried: \(tried.joined(separator: ", "))). Pass --controls DIR or set VOUCH_CONTROLS to the folder holding framework.yaml."
        }
    }
}

/// Errors of an evaluation run.
public enum EvaluateError: Error, LocalizedError, Sendable {
    case badInput(check: String, input: String, reason: String)
    case unknownCheck(String)
    case unknownControl(String)

    public var errorDescription: String? {
        switch self {
        case .badInput(let check, let input, let reason):
            return "check \(check), input \(input): \(reason). Fix the value under `inputs` or `checks.\(check).inputs` in the profile."
        case .unknownCheck(let id): return "there is no check '\(id)' in the catalog; `vouch controls list --checks` lists them."
        case .unknownControl(let id): return "there is no control '\(id)' in the catalog; `vouch controls list` lists them."
        }
    }
}
