"""Pure data and rules: the catalogue, the lifecycle, boundary contracts and the SQL tables."""
