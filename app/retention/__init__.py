"""Record retention: how long each kind of record is kept after a relationship ends,
which closed clients are held back, and the purge that removes what is past its period.

- `policies`: the record kinds, their periods (defaults, legal floors) and what is
  never purged;
- `holds`: closed clients, when each relationship ended, and what holds a client back;
- `due`: what each kind would remove on a day;
- `removal`: removing it (children before parents) and erasing client rows;
- `purge`: preview and purge, a write transaction per kind, recorded by id.

The services (app.services.retention) check permissions and are what the desktop and
the command line call.
"""
