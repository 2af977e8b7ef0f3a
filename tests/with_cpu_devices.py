"""`python tests/with_cpu_devices.py N SCRIPT ARGS...`: runs SCRIPT as `python SCRIPT ARGS...` in a process whose one
CPU is split into N logical devices, as a machine with N GPUs has N devices for MirroredStrategy.

Logical devices must be configured before TensorFlow starts, hence a process of their own.
"""

import os
import runpy
import sys

import tensorflow as tf

count, script = int(sys.argv[1]), sys.argv[2]
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
sys.argv = sys.argv[2:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
runpy.run_path(script, run_name="__main__")
