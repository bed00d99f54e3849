"""Pure domain rules: statuses, segments, phone numbers, error catalog, records. No Qt, no I/O."""
