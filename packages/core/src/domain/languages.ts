/**
 * The languages Aperture runs out of the box, one runner image each (images/runner-<id>).
 * Commands run through `/bin/sh -c` in the work directory; `{main}` is the entry file.
 */
export interface Language {
  id: string;
  name: string;
  version: string;
  /** Runner image name, without registry; backends map it to a reference. */
  image: string;
  /** Entry file name when the caller sends one anonymous file. */
  defaultMainFile: string;
  extensions: string[];
  compile?: string;
  run: string;
}

export const LANGUAGES: readonly Language[] = Object.freeze([
  {
    id: 'python',
    name: 'Python',
    version: '3.11',
    image: 'aperture/runner-python',
    defaultMainFile: 'main.py',
    extensions: ['.py'],
    run: 'python3 -u {main}',
  },
  {
    id: 'c',
    name: 'C (GCC)',
    version: 'gcc 12, C17',
    image: 'aperture/runner-c',
    defaultMainFile: 'main.c',
    extensions: ['.c', '.h'],
    compile: 'gcc -O2 -std=gnu17 -pipe -o main $(find . -name "*.c") -lm',
    run: './main',
  },
  {
    id: 'cpp',
    name: 'C++ (G++)',
    version: 'g++ 12, C++17',
    image: 'aperture/runner-cpp',
    defaultMainFile: 'main.cpp',
    extensions: ['.cpp', '.cc', '.cxx', '.hpp', '.h'],
    compile:
      'g++ -O2 -std=gnu++17 -pipe -o main $(find . -name "*.cpp" -o -name "*.cc" -o -name "*.cxx") -lm',
    run: './main',
  },
  {
    id: 'java',
    name: 'Java',
    version: 'OpenJDK 17',
    image: 'aperture/runner-java',
    defaultMainFile: 'Main.java',
    extensions: ['.java'],
    // Class data sharing and a serial GC keep the JVM inside small memory and pid limits.
    compile: 'javac -J-Xshare:auto -J-XX:+UseSerialGC -encoding UTF-8 -d . $(find . -name "*.java")',
    run: 'java -Xshare:auto -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss64m -cp . Main',
  },
  {
    id: 'javascript',
    name: 'JavaScript (Node.js)',
    version: 'Node 18',
    image: 'aperture/runner-javascript',
    defaultMainFile: 'main.js',
    extensions: ['.js', '.mjs', '.cjs'],
    run: 'node {main}',
  },
  {
    id: 'bash',
    name: 'Bash',
    version: '5.2',
    image: 'aperture/runner-bash',
    defaultMainFile: 'main.sh',
    extensions: ['.sh'],
    run: 'bash {main}',
  },
]);

export function findLanguage(id: string): Language | undefined {
  return LANGUAGES.find((language) => language.id === id);
}
