"""Balance a pole on a cart with REINFORCE, the simplest policy-gradient method.

No labels here: the agent learns from reward alone. A small network (4-128-2) maps the
observation (cart position and velocity, pole angle and angular velocity) to the probabilities
of pushing the cart left or right, and the agent *samples* its action from them
(``pydl.multinomial``). Every step the pole stays up earns +1; an episode ends when the pole
leans past 12 degrees, the cart leaves the track, or after 500 steps (CartPole-v1's limit).

REINFORCE (Williams, 1992) follows the gradient of the expected return,
``E[sum_t grad log pi(a_t | s_t) * G_t]``: play an episode, then make each action taken more
likely in proportion to the *reward-to-go* ``G_t = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ...``
that followed it (what came before an action is not its doing). Each update averages over a
batch of 4 episodes, whose returns are standardised together (subtract their mean -- a
*baseline* -- and divide by their standard deviation): that leaves the gradient's direction
right on average but makes it far less noisy; actions followed by more reward than usual are
reinforced, the others discouraged. Training stops once the running mean return reaches 475
(CartPole-v1's "solved"); after that, REINFORCE would only add noise, since an episode cut off
at 500 steps looks to it like one that failed. Uses gymnasium's ``CartPole-v1`` if gymnasium is
installed, else the same dynamics in NumPy (``examples/_cartpole.py``). With the default seed it
is solved after about 300 episodes (a few seconds on two CPU cores) and the greedy policy then
balances for all 500 steps; policy gradients are noisy, so the curve is ragged, and other seeds
take from 200 to 400 episodes.

    python examples/cartpole_reinforce.py [--episodes 600] [--hidden 128] [--lr 0.01] [--gamma 0.99]

Writes ``cartpole_reinforce.png`` (episode returns with their running mean) into ``--out``.
``train_loss`` in the returned history is the *negative running-mean return* (lower is better), a
steadier signal than the per-episode policy loss, which is kept as ``policy_loss``.
"""
import argparse
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import pydl
from pydl import nn
import pydl.nn.functional as F


def make_env():
    """gymnasium's CartPole-v1 if gymnasium is installed, else the NumPy copy in examples/_cartpole.py."""
    try:
        import gymnasium
        return gymnasium.make("CartPole-v1"), "gymnasium CartPole-v1"
    except ImportError:
        from _cartpole import CartPole  # examples/ is on sys.path when an example runs
        return CartPole(), "NumPy CartPole (CartPole-v1 dynamics)"


def policy_net(hidden):
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 2))  # logits of (left, right)


def play(env, policy, device, seed=None, greedy=False):
    """One episode with the current policy: its observations, actions and rewards."""
    obs, _ = env.reset(seed=seed)
    observations, actions, rewards = [], [], []
    done = False
    while not done:
        with pydl.no_grad():
            probs = F.softmax(policy(pydl.from_numpy(obs).to(device).unsqueeze(0)), dim=-1)
        action = probs.argmax(-1).item() if greedy else pydl.multinomial(probs, 1).item()  # sample a ~ pi(. | s)
        observations.append(obs)
        actions.append(action)
        obs, reward, terminated, truncated, _ = env.step(action)
        rewards.append(reward)
        done = terminated or truncated
    return np.stack(observations), actions, rewards


def rewards_to_go(rewards, gamma):
    """G_t = sum_k gamma^k r_{t+k}, computed backwards in one pass."""
    returns = np.zeros(len(rewards))
    running = 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns


def plot(history, window, path):
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": (1.6, 1)})
    returns = history["episode_return"]
    ax.plot(np.arange(1, len(returns) + 1), returns, lw=0.6, alpha=0.5, label="episode return")
    ax.plot(np.arange(1, len(returns) + 1), [-v for v in history["train_loss"]], lw=1.5,
            label=f"running mean of {window}")
    ax.axhline(475, color="gray", ls="--", lw=0.8, label="CartPole-v1 solved (475)")
    ax.set(xlabel="episode", ylabel="return (steps balanced)", title="REINFORCE on CartPole", ylim=(0, 520))
    ax.legend(loc="upper left", fontsize=8)
    ax_loss.plot(np.arange(1, len(history["policy_loss"]) + 1), history["policy_loss"], lw=0.6)
    ax_loss.set(xlabel="update", ylabel="-sum(log pi(a|s) * standardised G) / episodes", title="surrogate loss per update")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=600)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--batch-episodes", type=int, default=4, help="episodes per policy update")
    parser.add_argument("--gamma", type=float, default=0.99, help="discount factor")
    parser.add_argument("--window", type=int, default=20, help="episodes in the running mean")
    parser.add_argument("--target", type=float, default=475, help="stop once the running mean reaches it (0: never)")
    parser.add_argument("--device", default="cpu", help="a tiny network stepped once per action: the CPU is fastest")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a few dozen short episodes, for CI")
    args = parser.parse_args(argv)

    pydl.manual_seed(args.seed)
    env, env_name = make_env()
    episodes = 40 if args.smoke else args.episodes
    policy = policy_net(args.hidden).to(args.device)
    optimizer = pydl.optim.Adam(policy.parameters(), lr=args.lr)
    history = {"train_loss": [], "episode_return": [], "policy_loss": []}

    start = time.perf_counter()
    bar = tqdm(range(1, episodes + 1), desc="episodes", leave=False)
    batch = []
    for episode in bar:
        # seeding the first reset seeds the environment's generator for all later resets
        observations, actions, rewards = play(env, policy, args.device, seed=args.seed if episode == 1 else None)
        batch.append((observations, actions, rewards_to_go(rewards, args.gamma)))
        history["episode_return"].append(float(sum(rewards)))
        history["train_loss"].append(-float(np.mean(history["episode_return"][-args.window:])))
        if len(batch) == args.batch_episodes or episode == episodes:
            returns = np.concatenate([g for _, _, g in batch])
            returns = (returns - returns.mean()) / (returns.std() + 1e-8)  # baseline and scale: less variance
            # the log-probabilities of the actions taken, recomputed in one batch with the graph recorded
            observations = pydl.from_numpy(np.concatenate([o for o, _, _ in batch])).to(args.device)
            actions = pydl.tensor([a for _, acts, _ in batch for a in acts], device=args.device)
            log_probs = F.log_softmax(policy(observations), dim=-1)
            taken = log_probs.gather(1, actions.unsqueeze(1)).squeeze(1)
            loss = -(taken * pydl.tensor(returns, dtype=pydl.float32, device=args.device)).sum() / len(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["policy_loss"].append(loss.item())
            batch = []
        bar.set_postfix(ret=f"{sum(rewards):.0f}", mean=f"{-history['train_loss'][-1]:.1f}")
        if episode % 50 == 0:
            tqdm.write(f"episode {episode:4d}  return {sum(rewards):5.0f}  "
                       f"running mean of {args.window} {-history['train_loss'][-1]:6.1f}")
        if args.target and episode >= args.window and -history["train_loss"][-1] >= args.target:
            tqdm.write(f"solved: running mean of {args.window} >= {args.target} after {episode} episodes")
            break  # further updates only add noise (truncated episodes look like failures to REINFORCE)
    seconds = time.perf_counter() - start

    greedy = [sum(play(env, policy, args.device, greedy=True)[2]) for _ in range(1 if args.smoke else 5)]
    history["greedy_return"] = greedy
    env.close()
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, args.window, args.out / "cartpole_reinforce.png")
    print(f"REINFORCE on {env_name}: running mean return {-history['train_loss'][-1]:.1f} after "
          f"{len(history['episode_return'])} episodes in {seconds:.1f} s ({args.device}); the greedy policy balances "
          f"for {', '.join(f'{g:.0f}' for g in greedy)} steps; plot: {args.out / 'cartpole_reinforce.png'}")
    return history


if __name__ == "__main__":
    main()
