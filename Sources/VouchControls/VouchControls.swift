import VouchCore

/// The control catalog, the SQL check runner, the profile's decisions and the Statement of Applicability.
public enum VouchControls {}
