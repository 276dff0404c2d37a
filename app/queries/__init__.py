"""Read-side queries the views page through: filter, sort and page in SQL."""
