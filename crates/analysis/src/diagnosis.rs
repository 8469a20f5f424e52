//! The diagnosis: findings grouped by cause and ranked, each with the trace or rule line that proves it.
