# Modeled on pytorch/tutorials beginner_source/text_sentiment_ngrams_tutorial.py ("Text classification with the
# torchtext library"): a vocabulary built from the token stream with "<unk>" as default, text/label pipelines,
# collate_batch concatenating the texts into one 1D tensor with offsets from torch.tensor(...).cumsum(dim=0),
# TextClassificationModel (nn.EmbeddingBag(vocab_size, embed_dim, sparse=False) over (text, offsets), a Linear
# layer, init_weights through .data.uniform_ and .data.zero_()), CrossEntropyLoss, SGD with lr=5,
# clip_grad_norm_(..., 0.1), StepLR(optimizer, 1.0, gamma=0.1) stepped when the validation accuracy drops,
# random_split of the training set, and predict on a new text. AG_NEWS and torchtext (its basic_english tokenizer
# and build_vocab_from_iterator) are replaced by generated headlines and a few lines of Python; no timers.
import random
import re
from collections import Counter

import torch
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.data.dataset import random_split

random.seed(0)
torch.manual_seed(0)

# --- AG_NEWS stand-in: (label, text) pairs, labels 1..4 ------------------------------------------------
topics = {
    1: ["minister", "election", "government", "talks", "border", "president", "troops", "peace"],
    2: ["match", "season", "coach", "league", "champion", "goal", "team", "tournament"],
    3: ["shares", "profit", "market", "bank", "oil", "prices", "company", "investors"],
    4: ["software", "internet", "computer", "space", "research", "phone", "network", "scientists"],
}
common = ["the", "a", "in", "on", "after", "new", "says", "over", "for", "with", "report", "week"]


def make_news(n):
    news = []
    for _ in range(n):
        label = random.randint(1, 4)
        words = [random.choice(topics[label] if random.random() < 0.4 else common)
                 for _ in range(random.randint(5, 14))]
        news.append((label, " ".join(words).capitalize() + random.choice([".", "!", ", officials said."])))
    return news


train_data, test_data = make_news(600), make_news(120)


def tokenizer(line):
    """torchtext's basic_english: lower case, punctuation split off as tokens."""
    line = line.lower()
    for pattern, replacement in ((r"\'", " '  "), (r"\"", ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "),
                                 (r"\(", " ( "), (r"\)", " ) "), (r"\!", " ! "), (r"\?", " ? "), (r"\;", " "),
                                 (r"\:", " "), (r"\s+", " ")):
        line = re.sub(pattern, replacement, line)
    return line.split()


def yield_tokens(data_iter):
    for _, text in data_iter:
        yield tokenizer(text)


class Vocab:
    """build_vocab_from_iterator(..., specials=["<unk>"]) with set_default_index: tokens by descending frequency."""
    def __init__(self, iterator, specials):
        counter = Counter(token for tokens in iterator for token in tokens)
        ordered = sorted(counter.items(), key=lambda x: (-x[1], x[0]))
        self.itos = specials + [token for token, _ in ordered]
        self.stoi = {token: i for i, token in enumerate(self.itos)}
        self.default_index = None

    def set_default_index(self, index):
        self.default_index = index

    def __getitem__(self, token):
        return self.stoi.get(token, self.default_index)

    def __call__(self, tokens):
        return [self[token] for token in tokens]

    def __len__(self):
        return len(self.itos)


vocab = Vocab(yield_tokens(train_data), specials=["<unk>"])
vocab.set_default_index(vocab["<unk>"])
print(vocab(['here', 'is', 'an', 'example', 'market']))


def text_pipeline(x):
    return vocab(tokenizer(x))


def label_pipeline(x):
    return int(x) - 1


print(text_pipeline('here is the an example'), label_pipeline('10'))

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list.to(device), text_list.to(device), offsets.to(device)


dataloader = DataLoader(train_data, batch_size=8, shuffle=False, collate_fn=collate_batch)
label, text, offsets = next(iter(dataloader))
print(label, text.shape, offsets)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super(TextClassificationModel, self).__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


num_class = len(set([label for (label, text) in train_data]))
vocab_size = len(vocab)
emsize = 64
model = TextClassificationModel(vocab_size, emsize, num_class).to(device)
print(model, vocab_size)


def train(dataloader):
    model.train()
    total_acc, total_count = 0, 0
    log_interval = 4

    for idx, (label, text, offsets) in enumerate(dataloader):
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
        if idx % log_interval == 0 and idx > 0:
            print(
                "| epoch {:3d} | {:5d}/{:5d} batches "
                "| accuracy {:8.3f}".format(epoch, idx, len(dataloader), total_acc / total_count)
            )
            total_acc, total_count = 0, 0


def evaluate(dataloader):
    model.eval()
    total_acc, total_count = 0, 0

    with torch.no_grad():
        for idx, (label, text, offsets) in enumerate(dataloader):
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)  # noqa: F841  (the tutorial's)
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count


# Hyperparameters
EPOCHS = 5  # epoch
LR = 5  # learning rate
BATCH_SIZE = 64  # batch size for training

criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=LR)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
total_accu = None
train_dataset = list(train_data)  # to_map_style_dataset
test_dataset = list(test_data)
num_train = int(len(train_dataset) * 0.95)
split_train_, split_valid_ = random_split(train_dataset, [num_train, len(train_dataset) - num_train])

train_dataloader = DataLoader(split_train_, batch_size=BATCH_SIZE, shuffle=True, collate_fn=collate_batch)
valid_dataloader = DataLoader(split_valid_, batch_size=BATCH_SIZE, shuffle=True, collate_fn=collate_batch)
test_dataloader = DataLoader(test_dataset, batch_size=BATCH_SIZE, shuffle=True, collate_fn=collate_batch)

for epoch in range(1, EPOCHS + 1):
    train(train_dataloader)
    accu_val = evaluate(valid_dataloader)
    if total_accu is not None and total_accu > accu_val:
        scheduler.step()
    else:
        total_accu = accu_val
    print("-" * 59)
    print("| end of epoch {:3d} | valid accuracy {:8.3f} "
          "| lr {:.4g}".format(epoch, accu_val, scheduler.get_last_lr()[0]))
    print("-" * 59)

print("Checking the results of test dataset.")
accu_test = evaluate(test_dataloader)
print("test accuracy {:8.3f}".format(accu_test))

ag_news_label = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tec"}


def predict(text, text_pipeline):
    with torch.no_grad():
        text = torch.tensor(text_pipeline(text))
        output = model(text, torch.tensor([0]))
        return output.argmax(1).item() + 1


ex_text_str = "The coach of the champion team says the new season starts after the league tournament."

model = model.to("cpu")

print("This is a %s news" % ag_news_label[predict(ex_text_str, text_pipeline)])
print(f"{model.embedding.weight.grad.abs().sum().item():.4g}", model.embedding(torch.tensor([[1, 2], [3, 0]])).shape)
