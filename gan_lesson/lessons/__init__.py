"""Pieces that belong to one lesson each.

``oscillation`` (06: why training circles, in a two-number game and in the 1-D GAN),
``surfaces`` (08: a 2-D GAN and the discriminator's belief as a surface), ``sequences`` (09:
the arithmetic-series challenge), ``data`` (the digits of 01, 10 and 11, and your own image
folder), ``images`` (10: the convolutional image GAN and its digit score), ``conditional`` (11:
a GAN told which digit to draw). Each loads on first use.
"""
