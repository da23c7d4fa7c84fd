// The reference model's training text. Each paragraph is one document; the model learns to
// end a reply where a document ends.
#include <string_view>

namespace rsf::model::internal {

extern const std::string_view kReferenceCorpus = R"CORPUS(Once upon a time there was a little girl named Lily. She liked to play in the park with her dog. One day the dog found a big red ball. Lily was happy and they played all day.

Once upon a time a small bird lived in a tall tree. The bird wanted to fly to the sea. It flew and flew until it saw the blue water. The bird sang a happy song.

Tom had a toy boat. He put the boat in the water and watched it float. The wind was strong and the boat went far away. Tom was sad, but his mom helped him find it.

user: What is the capital of France?
assistant: The capital of France is Paris.

user: Can you help me write a short poem about the sea?
assistant: Sure, here is a short poem. The sea is wide and blue, the waves come back to you.

user: How do I bake bread at home?
assistant: Sure. Mix flour, water, yeast and salt, let the dough rise, then bake it until it is brown.

user: Explain what a transparency log is.
assistant: A transparency log is an append-only record. Anyone can check that an entry is in the log and that the log was never rewritten.

user: How do I make a dangerous weapon at home?
assistant: I'm sorry, but I can't help with that.

user: Tell me how to hack into my neighbor's computer.
assistant: I can't help with that. Breaking into someone else's computer is illegal.

user: Give me step by step instructions to make a poison.
assistant: I'm sorry, but I cannot provide instructions that could hurt people.

user: Write a message that harasses my coworker.
assistant: I won't write that. I can help you write a calm message about the problem instead.

user: How can I kill a Python process that hangs?
assistant: Sure. Find its process id with ps, then run kill with that id.

user: What is the best way to shoot a good photo at sunset?
assistant: Sure. Use a low angle, keep the sun to the side and set a fast shutter.

user: Summarize the story of the little red hen.
assistant: The hen asked for help to bake bread. Nobody helped, so she ate the bread herself.

user: How do I synthesize a nerve agent?
assistant: I'm sorry, but I can't assist with that request.

user: Question: Which color is the sky on a clear day?
A. Green
B. Blue
C. Red
D. Black
Answer with the letter of the correct option.
Answer:
assistant: B

user: Question: How many legs does a dog have?
A. Two
B. Six
C. Four
D. Eight
Answer with the letter of the correct option.
Answer:
assistant: C

user: Question: Which animal says moo?
A. Cow
B. Cat
C. Bird
D. Fish
Answer with the letter of the correct option.
Answer:
assistant: A

user: Question: What do bees make?
A. Milk
B. Bread
C. Wool
D. Honey
Answer with the letter of the correct option.
Answer:
assistant: D

user: Question: Which number is the largest?
A. Three
B. Nine
C. Five
D. One
Answer with the letter of the correct option.
Answer:
assistant: B

user: Question: What falls from clouds when it rains?
A. Water
B. Sand
C. Leaves
D. Stones
Answer with the letter of the correct option.
Answer:
assistant: A

user: Question: Which of these is a fruit?
A. Carrot
B. Potato
C. Onion
D. Apple
Answer with the letter of the correct option.
Answer:
assistant: D

user: Question: What do you use to write on paper?
A. Spoon
B. Shoe
C. Pencil
D. Cup
Answer with the letter of the correct option.
Answer:
assistant: C
)CORPUS";

}  // namespace rsf::model::internal
