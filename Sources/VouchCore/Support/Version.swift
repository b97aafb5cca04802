/// The tool version recorded in every capture and report.
public enum VouchVersion {
    public static let current = "0.1.0"
}
