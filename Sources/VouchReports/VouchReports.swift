import VouchCore

/// Renderers: HTML, OSCAL XML, JSON, JUnit and SARIF. They read the store only.
public enum VouchReports {}
