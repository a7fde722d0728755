/** Container names: Docker's validation and its adjective_scientist generator. */
import { randomInt } from "node:crypto";
import { invalid } from "../../util/errors.js";

const LEFT = [
  "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful",
  "bold", "boring", "brave", "busy", "charming", "clever", "compassionate", "competent", "condescending",
  "confident", "cool", "cranky", "crazy", "dazzling", "determined", "distracted", "dreamy", "eager",
  "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic", "exciting", "fervent", "festive",
  "flamboyant", "focused", "friendly", "frosty", "funny", "gallant", "gifted", "goofy", "gracious", "great",
  "happy", "hardcore", "heuristic", "hopeful", "hungry", "infallible", "inspiring", "intelligent",
  "interesting", "jolly", "jovial", "keen", "kind", "laughing", "loving", "lucid", "magical", "modest",
  "musing", "mystifying", "naughty", "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic",
  "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical", "recursing",
  "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange",
  "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant",
  "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
];
const RIGHT = [
  "albattani", "allen", "almeida", "agnesi", "archimedes", "ardinghelli", "aryabhata", "austin", "babbage",
  "banach", "bardeen", "bartik", "bassi", "bell", "benz", "bhabha", "bhaskara", "blackwell", "bohr", "booth",
  "borg", "bose", "boyd", "brahmagupta", "brattain", "brown", "carson", "cerf", "chandrasekhar", "chaplygin",
  "clarke", "colden", "cori", "cray", "curie", "darwin", "davinci", "dijkstra", "dubinsky", "easley",
  "edison", "einstein", "elion", "engelbart", "euclid", "euler", "faraday", "feistel", "fermat", "fermi",
  "feynman", "franklin", "galileo", "gates", "goldberg", "goldstine", "goldwasser", "golick", "goodall",
  "haibt", "hamilton", "hawking", "heisenberg", "hermann", "hodgkin", "hoover", "hopper", "hugle", "hypatia",
  "jackson", "jang", "jennings", "jepsen", "johnson", "joliot", "jones", "kalam", "kapitsa", "kare",
  "keller", "kepler", "khorana", "kilby", "kirch", "knuth", "kowalevski", "lalande", "lamarr", "lamport",
  "leakey", "leavitt", "lewin", "lichterman", "liskov", "lovelace", "lumiere", "mahavira", "mayer",
  "mccarthy", "mcclintock", "mclean", "mcnulty", "meitner", "mendel", "mendeleev", "minsky", "mirzakhani",
  "montalcini", "moore", "morse", "murdock", "napier", "nash", "neumann", "newton", "nightingale", "nobel",
  "noether", "northcutt", "noyce", "panini", "pare", "pasteur", "payne", "perlman", "pike", "poincare",
  "poitras", "ptolemy", "raman", "ramanujan", "ride", "ritchie", "robinson", "roentgen", "rosalind",
  "saha", "sammet", "shannon", "shaw", "shirley", "shockley", "sinoussi", "snyder", "spence", "stallman",
  "stonebraker", "swanson", "swartz", "swirles", "tesla", "thompson", "torvalds", "turing", "varahamihira",
  "visvesvaraya", "volhard", "wescoff", "wiles", "williams", "wilson", "wing", "wozniak", "wright", "yalow",
  "yonath",
];

export function randomName(taken: (name: string) => boolean): string {
  for (let i = 0; i < 20; i++) {
    const n = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
    const name = i < 5 ? n : `${n}${randomInt(10)}`;
    if (!taken(name)) return name;
  }
  return `berth_${randomInt(1e9)}`;
}

const VALID = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Returns the name without its leading slash; throws InvalidParameter like Docker. */
export function validateName(name: string): string {
  if (!VALID.test(name)) throw invalid(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.replace(/^\//, "");
}
