"""A NumPy CartPole for examples/cartpole_reinforce.py when gymnasium is not installed.

The classic cart-pole of Barto, Sutton & Anderson (1983), with the constants, Euler integration,
termination and 500-step limit of gymnasium's ``CartPole-v1``, and the same reset/step API:
``reset(seed=None) -> (observation, info)`` and ``step(action) -> (observation, reward,
terminated, truncated, info)``. The observation is (cart position, cart velocity, pole angle,
pole angular velocity); action 0 pushes the cart left, 1 pushes it right; every step earns +1.
"""
import math

import numpy as np


class CartPole:
    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5  # half the pole's length
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02  # seconds between state updates
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4
    max_episode_steps = 500

    def __init__(self):
        self.np_random = np.random.default_rng()
        self.state = None
        self.steps = 0

    def reset(self, seed=None):
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
        self.state = self.np_random.uniform(-0.05, 0.05, size=4)
        self.steps = 0
        return self.state.astype(np.float32), {}

    def step(self, action):
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + self.polemass_length * theta_dot ** 2 * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / self.total_mass))
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * xacc  # explicit Euler, as gymnasium's default
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * thetaacc
        self.state = np.array([x, x_dot, theta, theta_dot])
        self.steps += 1
        terminated = bool(x < -self.x_threshold or x > self.x_threshold
                          or theta < -self.theta_threshold_radians or theta > self.theta_threshold_radians)
        truncated = self.steps >= self.max_episode_steps and not terminated
        return self.state.astype(np.float32), 1.0, terminated, truncated, {}

    def close(self):
        pass
