# Modeled on pytorch/examples reinforcement_learning/reinforce.py and actor_critic.py: a policy network whose
# softmax feeds torch.distributions.Categorical (sample, log_prob), discounted returns normalised with
# np.finfo(np.float32).eps, the policy loss as torch.cat(...).sum() (REINFORCE) or stacked with a value
# head's smooth_l1_loss (actor-critic, SavedAction namedtuple), Adam, running reward. gym's CartPole is
# replaced by the same physics (_cartpole.py); episodes are fewer and capped at 200 steps.
import argparse
from collections import namedtuple
from itertools import count

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from _cartpole import CartPole
from torch.distributions import Categorical

parser = argparse.ArgumentParser(description='PyTorch REINFORCE and actor-critic example')
parser.add_argument('--gamma', type=float, default=0.99, metavar='G', help='discount factor (default: 0.99)')
parser.add_argument('--seed', type=int, default=543, metavar='N', help='random seed (default: 543)')
parser.add_argument('--episodes', type=int, default=25, metavar='N', help='episodes per method')
parser.add_argument('--log-interval', type=int, default=5, metavar='N', help='interval between training status logs')
args = parser.parse_args()

env = CartPole(seed=args.seed)
torch.manual_seed(args.seed)
eps = np.finfo(np.float32).eps.item()


# --- REINFORCE ---------------------------------------------------------------------------------------
class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(128, 2)

        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + args.gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


running_reward = 10
for i_episode in range(1, args.episodes + 1):
    state, _ = env.reset()
    state = np.array(state)
    ep_reward = 0
    for t in range(1, 200):
        action = select_action(state)
        state, reward, done, _, _ = env.step(action)
        state = np.array(state)
        policy.rewards.append(reward)
        ep_reward += reward
        if done:
            break

    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    loss = finish_episode()
    if i_episode % args.log_interval == 0:
        print('Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}\tloss: {:.4f}'.format(
            i_episode, ep_reward, running_reward, loss))

# --- actor-critic ------------------------------------------------------------------------------------
SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])


class Policy(nn.Module):
    """
    implements both actor and critic in one model
    """
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 128)

        # actor's layer
        self.action_head = nn.Linear(128, 2)

        # critic's layer
        self.value_head = nn.Linear(128, 1)

        # action & reward buffer
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))

        action_prob = F.softmax(self.action_head(x), dim=-1)

        state_values = self.value_head(x)

        return action_prob, state_values


model = Policy()
optimizer = optim.Adam(model.parameters(), lr=3e-2)


def select_action(state):
    state = torch.from_numpy(state).float()
    probs, state_value = model(state)

    m = Categorical(probs)

    action = m.sample()

    model.saved_actions.append(SavedAction(m.log_prob(action), state_value))

    return action.item()


def finish_episode():
    R = 0
    saved_actions = model.saved_actions
    policy_losses = []
    value_losses = []
    returns = []

    for r in model.rewards[::-1]:
        R = r + args.gamma * R
        returns.insert(0, R)

    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)

    for (log_prob, value), R in zip(saved_actions, returns):
        advantage = R - value.item()

        policy_losses.append(-log_prob * advantage)

        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))

    optimizer.zero_grad()

    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()

    loss.backward()
    optimizer.step()

    del model.rewards[:]
    del model.saved_actions[:]
    return loss.item()


running_reward = 10
for i_episode in count(1):
    state, _ = env.reset()
    state = np.array(state)
    ep_reward = 0

    for t in range(1, 200):
        action = select_action(state)
        state, reward, done, _, _ = env.step(action)
        state = np.array(state)

        model.rewards.append(reward)
        ep_reward += reward
        if done:
            break

    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward

    loss = finish_episode()

    if i_episode % args.log_interval == 0:
        print('Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}\tloss: {:.4f}'.format(
              i_episode, ep_reward, running_reward, loss))
    if i_episode == args.episodes:
        break
print(f"{running_reward:.2f}")
