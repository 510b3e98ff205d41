"""runwire-dbos's entry point: nothing to register; ``Agent(durability=DBOSDurability(...))`` switches it on.

The entry point makes the plugin visible in ``runwire plugins``; importing it loads nothing heavy.
"""
