"""Pages of the badges app: the catalogue, an agent's badges, and the communication
team's pages (edit a badge, preview a rule change, grant by hand, answer contests)."""
