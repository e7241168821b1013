"""Entry points: the `cluster-assistant` command. The only package that imports every other one."""
