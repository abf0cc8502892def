"""Pieces that belong to one lesson each.

``oscillation`` (06: why training circles, in a two-number game and in the 1-D GAN),
``surfaces`` (07: a 2-D GAN and the discriminator's belief as a surface), ``sequences`` (08:
the arithmetic-series challenge), ``data`` (the digits of 01, 09 and 10, and your own image
folder), ``images`` (09: the convolutional image GAN and its digit score), ``conditional`` (10:
a GAN told which digit to draw). Each loads on first use.
"""
