"""Identity resolution: which author mentions are one person, which listings one paper (pure records -> records)."""
