"""Passes over a Glow's chain that must see every layer on the way: data-dependent initialisation and invertible
backprop, both made of one walk (`walk.through_layers`)."""
